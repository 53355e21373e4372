"""Writes the release's image archive from an OCI layout, reproducibly.

    python3 release/archive.py LAYOUT ARCHIVE NAME:TAG EPOCH PLATFORM...

LAYOUT is the OCI image layout that `podman manifest push --all --format oci`
wrote (index.json naming one image index, blobs/). ARCHIVE becomes a tar of
that layout, so it is an oci-archive for skopeo and podman, which also holds a
docker-archive manifest.json (and repositories), so that `docker load` of the
same file loads every platform's image, each tagged NAME:TAG-linux-ARCH[-VARIANT]
(Docker Engine before 25 reads only that format; later ones read either).

Nothing of this run gets into the tar: members in sorted order, owner 0:0
without names, modes 0644 and 0755, every time EPOCH; so the archive's bytes
depend only on the layout's, whose blobs are addressed by their digests.
Fails unless the image index holds every PLATFORM (os/arch[/variant]).
"""

import hashlib
import io
import json
import os
import sys
import tarfile


def main():
    layout, archive, ref, epoch = sys.argv[1:5]
    want = sys.argv[5:]
    epoch = int(epoch)
    name, _, tag = ref.rpartition(":")

    def blob_path(digest):
        algo, _, hexdigest = digest.partition(":")
        return "blobs/%s/%s" % (algo, hexdigest)

    def blob(digest):
        with open(os.path.join(layout, blob_path(digest)), "rb") as f:
            data = f.read()
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            sys.exit("archive: blob %s does not match its digest" % digest)
        return json.loads(data)

    index = json.load(open(os.path.join(layout, "index.json")))
    images = []  # (platform, manifest)

    def walk(desc):
        media = desc["mediaType"]
        if media.endswith("image.index.v1+json") or media.endswith("manifest.list.v2+json"):
            for m in blob(desc["digest"])["manifests"]:
                walk(m)
        else:
            p = desc.get("platform", {})
            platform = "/".join(x for x in (p.get("os"), p.get("architecture"), p.get("variant")) if x)
            images.append((platform, blob(desc["digest"])))

    for d in index["manifests"]:
        walk(d)
    found = [p for p, _ in images]
    missing = sorted(set(want) - set(found))
    if missing:
        sys.exit("archive: the image index lacks %s (has %s)" % (missing, found))
    if len(set(found)) != len(found):
        sys.exit("archive: a platform is in the index twice: %s" % found)

    # docker-archive: one entry a platform, its config and layers as the
    # layout's blobs (docker load decompresses gzip layers itself)
    docker = []
    repositories = {}
    for platform, manifest in images:
        t = "%s-%s" % (tag, platform.replace("/", "-"))
        docker.append({
            "Config": blob_path(manifest["config"]["digest"]),
            "RepoTags": ["%s:%s" % (name, t)],
            "Layers": [blob_path(l["digest"]) for l in manifest["layers"]],
        })
        config_hex = manifest["config"]["digest"].partition(":")[2]
        repositories.setdefault(name, {})[t] = config_hex
    extra = {
        "manifest.json": json.dumps(docker, separators=(",", ":")).encode() + b"\n",
        "repositories": json.dumps(repositories, separators=(",", ":"), sort_keys=True).encode() + b"\n",
    }

    members = {}  # name -> path on disk, or bytes
    for root, dirs, files in os.walk(layout):
        rel = os.path.relpath(root, layout)
        for d in dirs:
            members[os.path.normpath(os.path.join(rel, d))] = None
        for f in files:
            members[os.path.normpath(os.path.join(rel, f))] = os.path.join(root, f)
    for k in extra:
        if k in members:
            sys.exit("archive: the layout already has %s" % k)
    members.update(extra)

    tmp = archive + ".tmp"
    with open(tmp, "wb") as out:
        with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for member in sorted(members):
                src = members[member]
                info = tarfile.TarInfo(member)
                info.mtime = epoch
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if src is None:
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    tar.addfile(info)
                    continue
                info.mode = 0o644
                data = src if isinstance(src, bytes) else open(src, "rb").read()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, archive)
    top = index["manifests"][0]["digest"] if len(index["manifests"]) == 1 else "%d entries" % len(index["manifests"])
    print("shim-image.oci.tar: index %s, %d platforms: %s" % (top, len(found), " ".join(found)))


main()
