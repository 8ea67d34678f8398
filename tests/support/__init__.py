"""Support code of the test suite: worlds, apps on a committed database, sample jobs, file
writers, the browser tests' server and seeds. No tests here; test modules import these
modules (and ``tests.factories``, ``tests.helpers``), never another test module or a conftest
(``tests/test_habits.py`` checks it)."""
