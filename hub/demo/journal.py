"""Journal comments on sites and actions, some targeted at users or organizations."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from hub.demo.actions import ActionPlan
from hub.demo.context import Ids, Rows, Scale, clamp_time, office_time
from hub.demo.names import ACTION_COMMENTS, SITE_COMMENTS
from hub.demo.organizations import Organizations, OrgInfo, UserInfo
from hub.demo.reference import REFERENCE_TIME
from hub.demo.sites import SitePlan
from hub.demo.users import People
from hub.models import Comment

TARGETED_SHARE = 0.1
ACTION_SHARE = 0.2


def _body(rng: random.Random, on_action: bool) -> tuple[str, list[str]]:
    template, tags = rng.choice(ACTION_COMMENTS if on_action else SITE_COMMENTS)
    body = template.format(n=rng.randint(2, 25), m=rng.randint(1, 8), d=rng.randint(2, 30))
    return body, list(tags)


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    end = min(end, REFERENCE_TIME - timedelta(hours=1))
    if end <= start:
        return start
    day = start.date() + timedelta(days=rng.randint(0, (end.date() - start.date()).days))
    return min(max(office_time(rng, day), start + timedelta(minutes=5)), end)


class CommentBuilder:
    def __init__(
        self, rng: random.Random, ids: Ids, rows: Rows, orgs: Organizations, people: People
    ) -> None:
        self.rng, self.ids, self.rows, self.orgs, self.people = rng, ids, rows, orgs, people

    def author_in(self, departement: str) -> UserInfo:
        group = self.people.of(departement)
        pool = group.writers
        if not pool or self.rng.random() < 0.03:
            return self.rng.choice(self.people.national_admins)
        return self.rng.choice(pool)

    def add(
        self,
        site_id: int | None,
        action_id: int | None,
        author: UserInfo,
        when: datetime,
        departement: str,
    ) -> None:
        rng = self.rng
        body, tags = _body(rng, on_action=action_id is not None)
        comment = self.rows.add_values(
            Comment,
            id=self.ids.next(Comment),
            site_id=site_id,
            action_id=action_id,
            author_id=author.id,
            body=body,
            tags=tags,
            targeted=False,
            created_at=when,
            updated_at=clamp_time(when + timedelta(hours=rng.randint(1, 48)))
            if rng.random() < 0.05
            else None,
        )
        if rng.random() < TARGETED_SHARE:
            self.target(comment, author, departement)

    def target(self, comment: dict[str, Any], author: UserInfo, departement: str) -> None:
        rng = self.rng
        group = self.people.of(departement)
        users = [u for u in group.active_state + group.active_field_workers if u is not author]
        orgs: list[OrgInfo] = [
            org for org in (self.orgs.prefecture.get(departement), self.orgs.ddets.get(departement))
            if org is not None
        ]  # fmt: skip
        draw = rng.random()
        chosen_users = rng.sample(users, min(len(users), rng.randint(1, 2))) if draw < 0.75 else []
        chosen_orgs = [rng.choice(orgs)] if (draw >= 0.5 or not chosen_users) and orgs else []
        if not chosen_users and not chosen_orgs:
            return
        comment["targeted"] = True
        for user in sorted(chosen_users, key=lambda u: u.id):
            self.rows.link("comment_target_user", comment["id"], user.id)
        for org in chosen_orgs:
            self.rows.link("comment_target_organization", comment["id"], org.id)


def build_comments(
    rng: random.Random,
    ids: Ids,
    rows: Rows,
    orgs: Organizations,
    people: People,
    sites: list[SitePlan],
    actions: list[ActionPlan],
    scale: Scale,
) -> None:
    builder = CommentBuilder(rng, ids, rows, orgs, people)
    total = scale.of(5000, 30)
    on_actions = round(total * ACTION_SHARE) if actions else 0
    # Open sites are talked about three times as much as closed ones.
    weights = [3.0 if s.is_open else 1.0 for s in sites]
    # (moment, tie-breaker, site, action): comments are numbered in the order they were written.
    written: list[tuple[datetime, int, SitePlan | None, ActionPlan | None]] = []
    for site in rng.choices(sites, weights, k=total - on_actions):
        end = REFERENCE_TIME if site.is_open else site.updated_at
        written.append((_moment(rng, site.created_at, end), len(written), site, None))
    for action in rng.choices(actions, k=on_actions) if actions else []:
        model = action.model
        end = REFERENCE_TIME
        if not action.current and model.ended_at:
            end = office_time(rng, model.ended_at + timedelta(days=60))
        written.append((_moment(rng, model.created_at, end), len(written), None, action))
    for when, _, site, action in sorted(written, key=lambda entry: entry[:2]):
        if site is not None:
            author = builder.author_in(site.departement)
            builder.add(site.id, None, author, when, site.departement)
        elif action is not None:
            builder.add(None, action.id, _action_author(builder, action), when, action.departement)


def _action_author(builder: CommentBuilder, action: ActionPlan) -> UserInfo:
    members = [m for m in action.members() if m.has_worked]
    if members and builder.rng.random() < 0.7:
        return builder.rng.choice(members)
    return builder.author_in(action.departement)
