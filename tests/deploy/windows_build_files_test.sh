#!/usr/bin/env bash
# The files of the MSVC/vcpkg build, which only a Windows runner can use, are checked here for
# what can be checked: CMake reads the presets, the JSON and YAML parse, the vcpkg baseline is a
# full commit id and every preset's toolchain file exists or comes from the environment.
set -euo pipefail
root=$1
cd "$root"
cmake --list-presets=all >/dev/null || { echo "FAIL: cmake cannot read CMakePresets.json"; exit 1; }
python3 - <<'PY'
import json, re, sys, yaml
presets = json.load(open("CMakePresets.json"))
names = {p["name"] for p in presets["configurePresets"]}
assert {"linux", "windows", "windows-msvc"} <= names, names
for p in presets["configurePresets"]:
    tc = p.get("toolchainFile", "")
    if tc.startswith("${sourceDir}/"):
        import os
        assert os.path.exists(tc.replace("${sourceDir}/", "")), tc
v = json.load(open("vcpkg.json"))
assert re.fullmatch(r"[0-9a-f]{40}", v["builtin-baseline"]), v["builtin-baseline"]
for dep in ("grpc", "protobuf", "abseil", "openssl", "spdlog"):
    assert dep in v["dependencies"], dep
wf = yaml.safe_load(open(".github/workflows/windows.yml"))
steps = wf["jobs"]["agent"]["steps"]
assert wf["jobs"]["agent"]["runs-on"] == "windows-2022"
assert any("--preset windows-msvc" in s.get("run", "") for s in steps)
print("ok: CMakePresets.json, vcpkg.json and .github/workflows/windows.yml parse and agree")
PY
