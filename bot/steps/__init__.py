"""The timed-step engine: rituals written as a script of steps that run on durable timers."""
