"""Files `manage.py startextension` renders (``*-tpl``); a package only so that the wheel ships them."""
