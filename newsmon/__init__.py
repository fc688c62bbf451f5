"""newsmon: the application layer (CLI, settings, runners wiring the stages to transports)."""

__version__ = "0.1.0"
