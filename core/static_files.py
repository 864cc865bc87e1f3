"""Static files (WhiteNoise), with the web UI's build looked up again when it changed on disk.

WhiteNoise lists the static files once, when the server starts (unless ``DEBUG``). The web UI's
page (``core/views_ui.py``) is read from ``frontend/dist`` on every request, so after
``scripts/build_ui.sh`` (or ``npx vite build``) with the server running, the new ``index.html``
names hashed scripts WhiteNoise had never seen: each was a 404 and the page stayed blank until a
restart. Under ``/static/ui/`` this middleware checks the build folder first: a file that is new or
changed since it was last served is served as it is now, and one the new build removed is a 404
(not a 500 from a file that no longer opens). Every other static file is WhiteNoise's, unchanged.
"""

import os
from pathlib import Path

from django.conf import settings as django_settings
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise's middleware that also serves a web UI build made after the server started."""

    def __init__(self, get_response=None, settings=django_settings):
        super().__init__(get_response, settings=settings)
        self.ui_prefix = f"{self.static_prefix}ui/"
        self.ui_root = os.path.abspath(Path(settings.UI_BUILD_DIR)) + os.sep
        # (mtime, size) of each build file as served: a rebuild changes one or the other.
        self.ui_file_stats: dict[str, tuple[int, int]] = {}
        for url in list(self.files):
            if url.startswith(self.ui_prefix) and (found := self._ui_file(url)) is not None:
                self.ui_file_stats[url] = found[1]

    def __call__(self, request):
        if not self.autorefresh and request.path_info.startswith(self.ui_prefix):
            self._follow_ui_build(request.path_info)
        return super().__call__(request)

    def _ui_file(self, url: str) -> tuple[str, tuple[int, int]] | None:
        """The build's file for this address and its (mtime, size), if the build has one."""
        if not self.url_is_canonical(url):
            return None
        path = os.path.join(self.ui_root, url[len(self.ui_prefix) :])
        if not self.path_is_child_of(path, self.ui_root) or not os.path.isfile(path):
            return None
        stat = os.stat(path)
        return path, (stat.st_mtime_ns, stat.st_size)

    def _follow_ui_build(self, url: str) -> None:
        found = self._ui_file(url)
        if found is None:
            # Gone from the build since it was served: forget it (a collected copy in STATIC_ROOT,
            # which the build never served, stays).
            if self.ui_file_stats.pop(url, None) is not None:
                self.files.pop(url, None)
            return
        path, stat = found
        if url in self.files and self.ui_file_stats.get(url) == stat:
            return
        self.files[url] = self.get_static_file(path, url)
        self.ui_file_stats[url] = stat
