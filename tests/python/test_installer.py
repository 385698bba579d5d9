"""The installer: user scope without root, system scope with it, DSNs added and removed."""

import os
import pwd
import shutil
import subprocess

import pytest

from conftest import DEMO_TOKEN, DRIVER_LIB, INSTALLER_BIN

USER = "hubdbodbc"
NAME = "HubDB ODBC Driver (installer test)"
needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd"),
                                reason="needs root and useradd to make a test user")


def as_user(*command, **kwargs):
    env = {"PATH": os.environ["PATH"], "HOME": pwd.getpwnam(USER).pw_dir}
    return subprocess.run(["runuser", "-u", USER, "--", *command], capture_output=True,
                          text=True, timeout=60, env=env, **kwargs)


@pytest.fixture(scope="module")
def user():
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", USER], check=True)
    home = pwd.getpwnam(USER).pw_dir
    for name in (".odbcinst.ini", ".odbc.ini"):
        if os.path.exists(os.path.join(home, name)):
            os.remove(os.path.join(home, name))
    return home


@needs_root
def test_user_scope_registers_without_root_and_isql_connects(user, sandbox):
    installer = str(INSTALLER_BIN)
    done = as_user(installer, "driver", "--name", NAME, "--library", str(DRIVER_LIB))
    assert done.returncode == 0, done.stderr
    done = as_user(installer, "dsn", "HubDB User", "--driver", NAME, "AuthScheme=PrivateApp",
                   f"PrivateAppToken={DEMO_TOKEN}", f"APIBaseURL={sandbox.url}")
    assert done.returncode == 0, done.stderr

    odbc_ini = os.path.join(user, ".odbc.ini")
    assert oct(os.stat(odbc_ini).st_mode & 0o777) == "0o600"
    assert NAME in as_user("odbcinst", "-q", "-d").stdout
    isql = as_user("isql", "-b", "-d|", "HubDB User", input="SELECT Id FROM events LIMIT 1\n")
    assert isql.returncode == 0, isql.stdout + isql.stderr
    assert isql.stdout.strip().isdigit(), isql.stdout

    done = as_user(installer, "dsn", "HubDB Spare", "--driver", NAME, "AuthScheme=PrivateApp")
    assert done.returncode == 0, done.stderr
    assert "HubDB Spare" in as_user("odbcinst", "-q", "-s").stdout
    done = as_user(installer, "remove-dsn", "HubDB Spare")
    assert done.returncode == 0, done.stderr
    listed = as_user("odbcinst", "-q", "-s").stdout
    assert "HubDB Spare" not in listed and "HubDB User" in listed

    done = as_user(installer, "uninstall", "--name", NAME)
    assert done.returncode == 0, done.stderr
    assert NAME not in as_user("odbcinst", "-q", "-d").stdout
    assert "HubDB User" not in open(odbc_ini).read()


@needs_root
def test_system_scope_goes_through_odbcinst():
    installer = str(INSTALLER_BIN)
    subprocess.run([installer, "driver", "--system", "--name", NAME, "--library", str(DRIVER_LIB)],
                   check=True, capture_output=True)
    subprocess.run([installer, "dsn", "HubDB System", "--system", "--driver", NAME,
                    "AuthScheme=PrivateApp"], check=True, capture_output=True)
    try:
        drivers = subprocess.run(["odbcinst", "-q", "-d", "-n", NAME], capture_output=True, text=True)
        assert str(DRIVER_LIB) in drivers.stdout
        dsns = subprocess.run(["odbcinst", "-q", "-s", "-l"], capture_output=True, text=True)
        assert "HubDB System" in dsns.stdout
        subprocess.run([installer, "dsn", "HubDB System Spare", "--system", "--driver", NAME,
                        "AuthScheme=PrivateApp"], check=True, capture_output=True)
        subprocess.run([installer, "remove-dsn", "HubDB System Spare", "--system"], check=True,
                       capture_output=True)
        dsns = subprocess.run(["odbcinst", "-q", "-s", "-l"], capture_output=True, text=True)
        assert "HubDB System Spare" not in dsns.stdout and "HubDB System" in dsns.stdout
    finally:
        subprocess.run([installer, "uninstall", "--system", "--name", NAME], check=True,
                       capture_output=True)
    assert subprocess.run(["odbcinst", "-q", "-d", "-n", NAME], capture_output=True).returncode != 0
    dsns = subprocess.run(["odbcinst", "-q", "-s", "-l"], capture_output=True, text=True)
    assert "HubDB System" not in dsns.stdout
