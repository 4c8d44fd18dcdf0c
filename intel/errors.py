"""Errors whose messages are fit to show a user as one line."""


class IntelError(Exception):
    """Base class: a problem the user can act on; the CLI prints it without a traceback."""


class ConfigError(IntelError):
    """A setting is missing or malformed."""


class FeedError(IntelError):
    """A feed could not be fetched or parsed; recorded on the feed's health row."""


class InputError(IntelError):
    """A user-supplied value (URL, date, file) is not acceptable."""
