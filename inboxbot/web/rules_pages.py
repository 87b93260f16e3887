"""Rules, for the head only: rules.toml with `inboxbot check`'s verdict; an edited file
uploaded, checked (errors: rejected with line and fix, nothing changes), tried over the
last weeks' mail (run/rules_trial.py: which decisions would change, how the shares
would move) and applied — kept as a dated version, written atomically, recorded in the
audit — and the versions with their diffs (tools/rule_versions.py). The worker takes
the new rules.toml on its next poll, as it takes any edit of the file.

The trial needs the mails themselves and the journal keeps none: they are read from
the shared mailbox by UID (BODY.PEEK: nothing is marked read), where the worker leaves
them; the connection comes from the same INBOXBOT_IMAP_* settings as the worker's. Mail
no longer there (moved to folders, deleted, a recreated folder) is counted as not found.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from inboxbot.config import load_settings
from inboxbot.errors import ConfigError, FetchError
from inboxbot.extract.extract import Extractor
from inboxbot.rules.model import Rules
from inboxbot.run.pipeline import Pipeline
from inboxbot.run.recheck import mails_from_imap
from inboxbot.run.rules_trial import Trial, no_trial, trial
from inboxbot.store.interfaces import Store
from inboxbot.tools.rule_versions import EARLIER, StaleEdit, apply, diff, fingerprint, versions
from inboxbot.tools.rules_check import Verdict, check_edit, check_rules
from inboxbot.web.pages import NavItem, Visit, WebContext, not_found, page

NAV = (NavItem("/rules", "Правила", head_only=True),)
MAX_BYTES = 512 * 1024  # a rules file is a few kilobytes; the demo's is 12
WEEKS_DEFAULT, WEEKS_MAX = 4, 26


def routes(ctx: WebContext) -> list[BaseRoute]:
    desk = RulesDesk()
    return [
        page(ctx, "/rules", desk.show),
        page(ctx, "/rules/trial", desk.try_edit, methods=("POST",)),
        page(ctx, "/rules/apply", desk.apply_edit, methods=("POST",)),
        page(ctx, "/rules/history", desk.history),
        page(ctx, "/rules/file", desk.download),
        page(ctx, "/rules/history/{name}", desk.download_version),
    ]


class RulesDesk:
    """The rules pages; keeps the NLP pipeline once loaded, so a second trial starts at once."""

    def __init__(self) -> None:
        self.extractor: Extractor | None = None

    async def show(self, visit: Visit) -> Response:
        if not visit.me.is_head:
            return not_found(visit)
        return await self._page(visit)

    async def _page(self, visit: Visit, *, status: int = 200, rejected: Verdict | None = None,
                    upload_name: str = "", weeks: int = WEEKS_DEFAULT, problem: str = "") -> Response:  # fmt: skip
        path = visit.ctx.rules.path
        verdict = await run_in_threadpool(check_rules, path)
        done = visit.request.query_params.get("done", "")
        return visit.render("rules.html", status=status, rules_file=path, text=_read(path), verdict=verdict,
                            rejected=rejected, upload_name=upload_name, weeks=weeks, problem=problem,
                            applied=done, max_kb=MAX_BYTES // 1024)  # fmt: skip

    async def download(self, visit: Visit) -> Response:
        """The rules file as it is on disk, to edit and upload again."""
        if not visit.me.is_head:
            return not_found(visit)
        path = visit.ctx.rules.path
        return Response(path.read_bytes(), media_type="application/toml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{path.name}"'})  # fmt: skip

    async def download_version(self, visit: Visit) -> Response:
        """A kept version, by its file name (only a name the history lists)."""
        if not visit.me.is_head:
            return not_found(visit)
        name = visit.request.path_params.get("name", "")
        found = next((v for v in versions(visit.ctx.rules.path) if v.path.name == name), None)
        if found is None:
            return not_found(visit)
        return Response(found.path.read_bytes(), media_type="application/toml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{found.path.name}"'})  # fmt: skip

    async def try_edit(self, visit: Visit) -> Response:
        if not visit.me.is_head:
            return not_found(visit)
        assert visit.form is not None
        weeks = _weeks(visit.form.get("weeks"))
        upload = visit.form.get("rules")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._page(visit, status=400, weeks=weeks, problem="Выберите файл правил (rules.toml).")
        data = await upload.read(MAX_BYTES + 1)
        name = Path(upload.filename).name[:120]
        if len(data) > MAX_BYTES:
            return await self._page(visit, status=413, weeks=weeks, upload_name=name,
                                    problem=f"Файл {name} больше {MAX_BYTES // 1024} КБ — это не файл правил.")  # fmt: skip
        path = visit.ctx.rules.path
        verdict = await run_in_threadpool(check_edit, path, data)
        if not verdict.ok or verdict.rules is None:
            return await self._page(visit, status=422, rejected=verdict, upload_name=name, weeks=weeks)
        current = path.read_bytes()
        now = visit.ctx.clock()
        result = await run_in_threadpool(self._trial, visit.ctx.store, visit.rules, verdict.rules, weeks, now)
        text = data.decode("utf-8-sig")
        return visit.render(
            "rules_trial.html", upload_name=name, weeks=weeks, result=result, verdict=verdict, text=text,
            base=fingerprint(current), moves=share_moves(result, visit.rules, verdict.rules),
            changes=diff(current.decode("utf-8-sig", "replace"), text, f"{path.name} (действующие)", f"{name} (новые)"),
            since=now - timedelta(weeks=weeks),
        )  # fmt: skip

    def _trial(self, store: Store, current: Rules, edited: Rules, weeks: int, now: datetime) -> Trial:
        rows = store.queries.requests(now - timedelta(weeks=weeks), now)
        if not rows:
            return no_trial(f"за {weeks} нед. писем в журнале нет")
        try:
            settings = load_settings(os.environ)
        except ConfigError as exc:
            return no_trial(f"писем не достать: ящик не настроен ({exc})")
        try:
            mails = mails_from_imap(rows, settings)
        except FetchError as exc:
            return no_trial(f"ящик {settings.imap.host} недоступен: {exc}")
        source = f"письма из ящика {settings.imap.host}, папка {settings.folder}"
        before = Pipeline(current, self.extractor, processes=1)
        after = Pipeline(edited, before.extractor, processes=1)
        self.extractor = before.extractor
        try:
            return trial(store, rows, mails, before, after, source=source)
        finally:
            before.close()
            after.close()

    async def apply_edit(self, visit: Visit) -> Response:
        if not visit.me.is_head:
            return not_found(visit)
        assert visit.form is not None
        text, base = str(visit.form.get("text") or ""), str(visit.form.get("base") or "")
        data = text.replace("\r\n", "\n").encode("utf-8")
        path = visit.ctx.rules.path
        verdict = await run_in_threadpool(check_edit, path, data)
        if not verdict.ok:
            return await self._page(visit, status=422, rejected=verdict)
        try:
            version = apply(path, data, visit.me.id, visit.ctx.clock(), expected=base)
        except StaleEdit as exc:
            return await self._page(visit, status=409, problem=f"Не применено: {exc}.")
        visit.audit("rules_apply", "rules", f"{path.name} заменён, версия {version.path.name}")
        visit.ctx.current_rules()  # the pages take the new rules at once, the worker on its next poll
        return RedirectResponse("/rules/history?done=1", status_code=303)

    async def history(self, visit: Visit) -> Response:
        if not visit.me.is_head:
            return not_found(visit)
        path = visit.ctx.rules.path
        kept = versions(path)
        shown = []
        for index, version in enumerate(kept):
            earlier = kept[index - 1] if index else None
            before = earlier.text() if earlier else ""
            changes = diff(before, version.text(), earlier.path.name if earlier else "(нет)", version.path.name)
            shown.append({"version": version, "who": version.who, "first": version.who == EARLIER, "diff": changes})
        shown.reverse()
        return visit.render("rules_history.html", versions=shown, rules_file=path,
                            applied=visit.request.query_params.get("done") == "1")  # fmt: skip


def share_moves(result: Trial, current: Rules, edited: Rules) -> list[dict[str, object]]:
    """Per manager: requests and share under the rules in force and under the edited ones."""
    total_before, total_after = sum(result.before.values()), sum(result.after.values())
    names = {**{m.id: m.name for m in current.managers.values()}, **{m.id: m.name for m in edited.managers.values()}}
    ids = sorted(set(result.before) | set(result.after), key=lambda i: (-result.after.get(i, 0), names.get(i, i)))
    return [
        {"name": names.get(i, i), "before": result.before.get(i, 0), "after": result.after.get(i, 0),
         "before_share": _share(result.before.get(i, 0), total_before),
         "after_share": _share(result.after.get(i, 0), total_after),
         "delta": result.after.get(i, 0) - result.before.get(i, 0)}
        for i in ids
    ]  # fmt: skip


def _share(count: int, total: int) -> str:
    return f"{count / total * 100:.0f}\u00a0%" if total else "—"


def _weeks(value: object) -> int:
    text = str(value or "").strip()
    return min(max(int(text), 1), WEEKS_MAX) if text.isdigit() and len(text) < 4 else WEEKS_DEFAULT


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return f"(файл не читается: {exc})"
