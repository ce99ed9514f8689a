"""Who writes and who reviews a postmortem: replacing its authors and reviewers, and asking
for reviews, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from app import clock
from app.errors import ValidationFailed
from app.events import Outbox
from app.postmortems.common import Revisions, user_gids
from app.postmortems.models import Postmortem, PostmortemAuthor, PostmortemReviewer


async def replace_people(
    outbox: Outbox,
    postmortem: Postmortem,
    authors: list[int] | None,
    reviewers: list[int] | None,
    changes: Revisions,
) -> None:
    """Make these the postmortem's authors and reviewers (None: keep them); nobody reviews
    what they wrote. Each list that changes is recorded."""
    conn = outbox.connection
    current_authors = list(
        await PostmortemAuthor.filter(postmortem_id=postmortem.id)
        .using_db(conn)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    current_reviewers = list(
        await PostmortemReviewer.filter(postmortem_id=postmortem.id)
        .using_db(conn)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    new_authors = authors if authors is not None else current_authors
    new_reviewers = reviewers if reviewers is not None else current_reviewers
    both = set(new_authors) & set(new_reviewers)
    if both:
        raise ValidationFailed(
            "An author cannot review their own postmortem",
            field="reviewerIds" if reviewers is not None else "authorIds",
        )
    now = clock.now()
    if set(new_authors) != set(current_authors):
        await (
            PostmortemAuthor.filter(
                postmortem_id=postmortem.id, user_id__in=list(set(current_authors) - set(new_authors))
            )
            .using_db(conn)
            .delete()
        )
        await PostmortemAuthor.bulk_create(
            [
                PostmortemAuthor(postmortem_id=postmortem.id, user_id=u, added_at=now)
                for u in new_authors
                if u not in current_authors
            ],
            using_db=conn,
        )
        changes.record_people("authors", user_gids(current_authors), user_gids(new_authors))
    if set(new_reviewers) != set(current_reviewers):
        await add_reviewers(outbox, postmortem, [u for u in new_reviewers if u not in current_reviewers])
        await (
            PostmortemReviewer.filter(
                postmortem_id=postmortem.id, user_id__in=list(set(current_reviewers) - set(new_reviewers))
            )
            .using_db(conn)
            .delete()
        )
        changes.record_people("reviewers", user_gids(current_reviewers), user_gids(new_reviewers))


async def add_reviewers(outbox: Outbox, postmortem: Postmortem, user_ids: Sequence[int]) -> None:
    """Ask these people for a review (the caller checked who they are)."""
    now = clock.now()
    await PostmortemReviewer.bulk_create(
        [PostmortemReviewer(postmortem_id=postmortem.id, user_id=u, requested_at=now) for u in user_ids],
        using_db=outbox.connection,
    )
