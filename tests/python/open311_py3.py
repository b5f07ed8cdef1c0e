"""Loads the PyPI `open311` 1.1 client on Python 3.

`open311` 1.1 (2011) is Python 2 code. Its source is used as installed, unchanged; this
shim only does what Python 2 did for it:

- implicit relative imports (`from api import API` inside the package, `from object_dict
  import object_dict`, `from xml2dict import xml2dict`): its modules are loaded here one by
  one, under their package names, with the bare names they import bound while they load;
- `Element.getchildren()`, removed in Python 3.9: its XML parser is given elements that
  still have it;
- `urlopen(url, data)` with a `str` body (Python 3 wants bytes): the body is encoded as
  UTF-8, which is what Python 2 sent.

Use: `from open311_py3 import Open311`.
"""

import importlib.util
import os
import sys
import types
import urllib.request
import xml.etree.ElementTree as ET

_spec = importlib.util.find_spec("open311")
if _spec is None or not _spec.submodule_search_locations:
    raise ImportError("the PyPI package open311==1.1 is not installed: run scripts/test.sh")
_ROOT = list(_spec.submodule_search_locations)[0]


def _load(name, path, package=False):
    """Runs the file at `path` as module `name` (a package when `package`)."""
    kwargs = {"submodule_search_locations": [os.path.dirname(path)]} if package else {}
    spec = importlib.util.spec_from_file_location(name, path, **kwargs)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class _Element(ET.Element):
    def getchildren(self):
        return list(self)


def _fromstring(text):
    parser = ET.XMLParser(target=ET.TreeBuilder(element_factory=_Element))
    parser.feed(text)
    return parser.close()


def _urlopen(url, data=None, *args, **kwargs):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return urllib.request.urlopen(url, data, *args, **kwargs)


def _load_open311():
    bare = ("object_dict", "xml2dict", "api", "api.api")
    saved = {n: sys.modules.get(n) for n in bare}
    try:
        x2d = os.path.join(_ROOT, "api", "xml2dict")
        sys.modules["object_dict"] = _load(
            "open311.api.xml2dict.object_dict", os.path.join(x2d, "object_dict.py"))
        sys.modules["xml2dict"] = _load(
            "open311.api.xml2dict", os.path.join(x2d, "__init__.py"), package=True)
        sys.modules["open311.api.xml2dict.xml2dict"].ET = types.SimpleNamespace(
            fromstring=_fromstring)
        api = _load("open311.api.api", os.path.join(_ROOT, "api", "api.py"))
        api.urlopen = _urlopen
        sys.modules["api"] = api
        sys.modules["api.api"] = api
        _load("open311.api", os.path.join(_ROOT, "api", "__init__.py"), package=True)
        impl = _load("open311.open311", os.path.join(_ROOT, "open311.py"))
        package = types.ModuleType("open311")
        package.__path__ = [_ROOT]
        package.Open311 = impl.Open311
        sys.modules["open311"] = package
        return impl.Open311
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


Open311 = _load_open311()
