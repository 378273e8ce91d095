"""Fakes for the engine tests: a tagger whose worker process dies once, mid-job."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline_fakes import CapsTagger

from xlner.tagging.base import register_tagger


@register_tagger("test-kill-once")
class KillOnceTagger(CapsTagger):
    """``test-caps``, except that the first batch holding ``KILL`` kills its process (as the
    kernel's OOM killer would a Ray worker); ``marker`` records that it happened, so the
    retried batch (or a rerun) goes through."""

    name = "test-kill-once"

    def __init__(self, marker: str = "", label: str = "PER") -> None:
        super().__init__(label)
        self.marker = Path(marker)

    def signature(self):
        return {"method": "test-caps", "label": self.label}  # the same tags as test-caps

    def tag(self, sentences):
        if any("KILL" in s for s in sentences) and not self.marker.exists():
            self.marker.write_text(str(os.getpid()), encoding="utf-8")
            os._exit(9)
        return super().tag(sentences)


@register_tagger("test-interrupt")
class InterruptTagger(CapsTagger):
    """``test-caps``, except that a batch holding ``STOP`` is a Ctrl-C while ``armed``."""

    name = "test-interrupt"
    armed = True

    def signature(self):
        return {"method": "test-caps", "label": self.label}

    def tag(self, sentences):
        if InterruptTagger.armed and any("STOP" in s for s in sentences):
            raise KeyboardInterrupt
        return super().tag(sentences)
