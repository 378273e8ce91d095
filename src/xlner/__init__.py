"""xlner: cross-lingual named entity recognition for low-resource languages."""

from importlib.metadata import PackageNotFoundError, version

from xlner.threads import prefer_passive_openmp

# Before anything imports torch: see xlner.threads.
prefer_passive_openmp()

try:
    __version__ = version("xlner")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
