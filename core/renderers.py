"""The API's JSON renderer: DRF's, answering even a value that UTF-8 cannot write.

A string holding an unpaired UTF-16 surrogate (half of a pair, such as ``\\ud800``) has no UTF-8
form, so DRF's renderer raised ``UnicodeEncodeError`` (a 500) for any answer that held one. Request
bodies refuse them (``core.parsers``) and records are quarantined with them
(``sync_engine.records``), but a row saved before on SQLite, which stores them, kept every answer
that shows it (a tenant's connector list) a 500. Such an answer is written with ASCII escapes
instead: ``"\\ud800"`` in the JSON, which parsers read back as the same string.
"""

from rest_framework.renderers import JSONRenderer


class _ASCIIJSONRenderer(JSONRenderer):
    ensure_ascii = True


class JSONRendererOfAnyText(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _ASCIIJSONRenderer().render(data, accepted_media_type, renderer_context)
