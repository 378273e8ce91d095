"""xlner: cross-lingual named entity recognition for low-resource languages."""

from functools import cache

from xlner.threads import prefer_passive_openmp

# Before anything imports torch: see xlner.threads.
prefer_passive_openmp()


def __getattr__(name: str) -> str:
    """``xlner.__version__``, read from the installed package's metadata when first asked
    for: importing importlib.metadata is a large share of the time ``xlner --help`` takes."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _installed_version()


@cache
def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xlner")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0+unknown"
