"""Every sentence a person reads, in English (en/) and Japanese (ja/), keyed the same."""
