# SPDX-License-Identifier: GPL-2.0-or-later
"""ward spec and ward features."""
import json
import os

from conftest import assert_nothing_left, requires
from test_idmap import host, iw  # noqa: F401


def test_spec_writes_a_config_ward_runs(iw, bundle):
    """ward spec's config asks for an isolated range: run it where root has
    one (fake /etc/subuid in a private mount namespace)."""
    ward = iw
    os.remove(os.path.join(bundle.path, "config.json")) if os.path.exists(
        os.path.join(bundle.path, "config.json")) else None
    p = ward("spec", "--bundle", bundle.path)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(bundle.path, "config.json")) as f:
        c = json.load(f)
    assert c["process"]["args"] == ["sh"]
    assert c["root"]["path"] == "rootfs"
    c["process"]["terminal"] = False
    c["process"]["args"] = ["echo", "from-spec"]
    with open(os.path.join(bundle.path, "config.json"), "w") as f:
        json.dump(c, f)
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "from-spec\n"
    assert_nothing_left(ward, cid, bundle)
    # never overwrites
    p = ward("spec", "--bundle", bundle.path)
    assert p.returncode == 1 and "exists" in p.stderr


def test_spec_rootless(ward, tmp_path):
    p = ward("spec", "--rootless", "--bundle", str(tmp_path))
    assert p.returncode == 0, p.stderr
    c = json.loads((tmp_path / "config.json").read_text())
    types = [n["type"] for n in c["linux"]["namespaces"]]
    assert "user" in types and "network" not in types
    assert c["linux"]["uidMappings"][0]["hostID"] == os.getuid()


def test_features(ward):
    p = ward("features")
    assert p.returncode == 0
    f = json.loads(p.stdout)
    assert f["ociVersionMax"] == "1.2.0"
    assert "user" in f["linux"]["namespaces"]
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]
    assert "createRuntime" in f["hooks"]


def test_runs_the_config_runc_writes(ward, bundle, tmp_path):
    """`runc spec` output, unchanged but for terminal and args, runs."""
    import subprocess
    requires("runc")
    subprocess.run(["runc", "spec", "--bundle", str(tmp_path)], check=True)
    c = json.loads((tmp_path / "config.json").read_text())
    c["process"]["terminal"] = False
    c["process"]["args"] = ["sh", "-c", "echo runc-config; hostname"]
    bundle.config = c
    bundle.write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "runc-config\nrunc\n"
    assert_nothing_left(ward, cid, bundle)
