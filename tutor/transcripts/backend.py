"""Everything that reads or writes the tutor's database, built once from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutor.accounts.limits import RateLimiter
from tutor.accounts.users import Accounts, generate_password
from tutor.transcripts.db import Database, open_database
from tutor.transcripts.desk import Desk
from tutor.transcripts.store import SQLiteTranscriptStore

if TYPE_CHECKING:
    from tutor.chat_service import ChatService
    from tutor.config import Settings
    from tutor.pipeline import Pipeline


@dataclass
class Backend:
    db: Database
    accounts: Accounts
    store: SQLiteTranscriptStore
    limiter: RateLimiter
    desk: Desk

    @classmethod
    def open(cls, settings: Settings) -> Backend:
        db = open_database(settings)
        store = SQLiteTranscriptStore(db)
        return cls(
            db=db,
            accounts=Accounts(db, settings.accounts),
            store=store,
            limiter=RateLimiter(store, settings.accounts),
            desk=Desk(store),
        )

    def chat_service(self, pipeline: Pipeline) -> ChatService:
        from tutor.chat_service import ChatService
        from tutor.learning.profile import Profiles

        services = pipeline.services
        return ChatService(
            pipeline,
            self.store,
            self.limiter,
            memory_turns=services.settings.memory_turns,
            embedder_id=services.embedder.model_id,
            profiles=Profiles(self.db),
        )

    def demo_users(self, course: str) -> dict[str, str]:
        """On an empty user table only: a teacher and a learner of ``course`` with generated
        passwords (returned so that they can be shown once). Never fixed passwords."""
        if self.accounts.count():
            return {}
        made = {}
        for name, role in (("teacher", "teacher"), ("learner", "learner")):
            password = generate_password()
            self.accounts.add(name, role, password, [course])
            made[name] = password
        self.store.audit("system", "demo_users", course, ",".join(made))
        return made

    def close(self) -> None:
        self.db.close()
