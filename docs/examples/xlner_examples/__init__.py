"""The worked examples of docs/adding-a-component.md: an aligner, a score and a corpus, each
one file. ``tests/test_adding_components.py`` runs them through the registry and the CLI."""
