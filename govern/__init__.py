"""govern: schema governance for event-driven microservices on Apache Kafka."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("govern")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
