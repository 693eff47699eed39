"""One blueprint per resource, each named ``bp``."""
