"""Render mail templates: Jinja2 in a sandbox, undefined names are errors, HTML autoescaped.

Every failure becomes a `ValidationError` whose field is `file:line` of the template.
A `Renderer` compiles each template once; `CurrentTemplates` hands out a new one when a file
in `templates_dir` changed. Lookup order and the sandbox's fast path: docs/mail.md#rendering
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from fs_conf.errors import ValidationError
from fs_conf.mail.context import TEMPLATE_TYPES

BUILTIN_DIR = Path(__file__).parent / "templates"
PARTS = ("subject.txt", "txt", "html")
_DATA_FIELDS = {kind: frozenset(f.name for f in fields(kind)) for kind in TEMPLATE_TYPES}


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def search_path(templates_dir: str, language: str) -> list[Path]:
    """The folders a template name is looked up in, first match wins."""
    paths = []
    if templates_dir:
        paths += [Path(templates_dir) / language, Path(templates_dir)]
    paths.append(BUILTIN_DIR / language)
    if language != "en":
        paths.append(BUILTIN_DIR / "en")
    return paths


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, with the data fields of fs_conf's variables read directly
    (see the module docstring)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if attribute in _DATA_FIELDS.get(type(obj), ()):
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)


class Renderer:
    """Templates of one language; compiled templates are cached for the renderer's lifetime."""

    def __init__(self, templates_dir: str, language: str) -> None:
        self.language = language
        self.paths = search_path(templates_dir, language)
        self.environment = _Sandbox(
            loader=jinja2.FileSystemLoader([str(p) for p in self.paths], encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html",), default_for_string=False
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self._compiled: dict[str, jinja2.Template] = {}

    def render(self, name: str, variables: Mapping[str, Any]) -> str:
        """Render template file `name`; any failure names the file and line."""
        try:
            return self._template(name).render(variables)
        except jinja2.TemplateSyntaxError as exc:
            where = f"{exc.filename or exc.name or name}:{exc.lineno}"
            source = exc.source or _read(exc.filename or "")
            raise ValidationError(
                where, _line(source, exc.lineno), f"syntax error: {exc.message}"
            ) from exc
        except jinja2.TemplateNotFound as exc:
            if exc.name == name:
                raise ValidationError(
                    name, name, "template file not found in " + self._where()
                ) from exc
            raise _runtime_error(name, exc, f"includes {exc.name}, which is not found") from exc
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise _runtime_error(name, exc, _first_line(str(exc))) from exc

    def render_mail(
        self, kind: str, text_variables: Mapping[str, Any], html_variables: Mapping[str, Any]
    ) -> RenderedMail:
        """Subject (one line), plain text and HTML of mail `kind`."""
        subject = self.render(f"{kind}.subject.txt", text_variables)
        return RenderedMail(
            subject=" ".join(subject.split()),
            text=self.render(f"{kind}.txt", text_variables),
            html=self.render(f"{kind}.html", html_variables),
        )

    def _template(self, name: str) -> jinja2.Template:
        # Jinja's own cache takes a lock and an LRU update per lookup; the files a renderer
        # reads never change under it (see CurrentTemplates), so a plain dict does.
        template = self._compiled.get(name)
        if template is None:
            template = self._compiled[name] = self.environment.get_template(name)
        return template

    def _where(self) -> str:
        return ", ".join(str(p) for p in self.paths)


class CurrentTemplates:
    """The `Renderer` for the admin's templates as they are on disk now (see the module
    docstring); checking costs one directory listing of the override folders."""

    def __init__(self, templates_dir: str, language: str) -> None:
        self.templates_dir = templates_dir
        self.language = language
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._renderer: Renderer | None = None

    def renderer(self) -> Renderer:
        stamp = _overrides_stamp(self.templates_dir, self.language)
        if self._renderer is None or stamp != self._stamp:
            self._renderer = Renderer(self.templates_dir, self.language)
            self._stamp = stamp
        return self._renderer


def _overrides_stamp(templates_dir: str, language: str) -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of every file in the override folders (the
    built-in templates are part of the installed package and do not change under it)."""
    if not templates_dir:
        return ()
    found = []
    for folder in (Path(templates_dir) / language, Path(templates_dir)):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_file():
                    status = entry.stat()
                    found.append((entry.path, status.st_mtime_ns, status.st_size))
            except OSError:
                continue  # removed while listing: the next check sees it gone
    return tuple(sorted(found))


def _runtime_error(name: str, exc: Exception, problem: str) -> ValidationError:
    """Locate the failing line: Jinja rewrites tracebacks so that frames of compiled templates
    carry the template's file name and source line; the innermost one is where it failed."""
    where, source_line = name, ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".txt", ".html")):
            where = f"{filename}:{tb.tb_lineno}"
            source_line = _line(_read(filename), tb.tb_lineno)
        tb = tb.tb_next
    return ValidationError(where, source_line, f"template error: {problem}")


def _read(filename: str) -> str:
    try:
        return Path(filename).read_text(encoding="utf-8")
    except OSError:
        return ""


def _line(source: str | None, lineno: int) -> str:
    lines = (source or "").splitlines()
    return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "failed"
