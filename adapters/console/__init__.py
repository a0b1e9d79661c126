"""The console adapter: the whole bot in a terminal, interactively or from a script on a virtual clock."""
