"""Nothing here on purpose: the drill's options, hooks and fixtures live in ``fixtures/plugin.py``.

``pytest.ini`` loads that plugin by name (``-p fixtures.plugin``), so its options (``--stack-file``,
``--reports-dir``...) exist before pytest parses the command line. A conftest is read only after
pytest has chosen its rootdir from the arguments, which an absolute path given to one of those
options used to mislead; see ``./drill``.
"""
