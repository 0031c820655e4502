"""A small error hierarchy whose messages a learner, teacher or operator can act on."""


class TutorError(Exception):
    """Base class: the message is meant for a person, not a stack trace."""


class ConfigError(TutorError):
    """The configuration names something that does not exist or does not fit."""


class CourseNotFound(TutorError):
    """No index exists for the course that was asked for."""


class IndexMismatch(TutorError):
    """The index was built with another embedder or chunker than the one configured."""


class IngestLocked(TutorError):
    """Another ingest of the same course is running."""


class MissingDependency(TutorError):
    """An optional dependency is not installed; the message names the install command."""


class ModelError(TutorError):
    """The language model or embedder could not be loaded or failed while running."""


class Busy(TutorError):
    """Too many questions are being answered or waiting; the asker should try again shortly."""

    def __init__(
        self, message: str = "the tutor is busy, try again in a few seconds", retry_after_s: int = 5
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
