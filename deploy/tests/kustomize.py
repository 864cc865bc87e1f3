"""A small kustomize for deploy/k8s, for machines without kubectl (a fresh Debian has none new
enough: Debian's kubernetes-client is 1.20, whose kustomize predates `labels` and `patches`).

It implements exactly the fields deploy/k8s uses (resources, labels, images, namespace, replicas,
configMapGenerator with behavior merge, strategic-merge and JSON 6902 patches) and refuses any
other, so a kustomization that outgrows it fails loudly. test_kubernetes.py checks that its output
equals `kubectl kustomize` wherever kubectl exists.
"""

import copy
from pathlib import Path

import yaml

SUPPORTED = {
    "apiVersion",
    "kind",
    "resources",
    "labels",
    "images",
    "namespace",
    "replicas",
    "configMapGenerator",
    "generatorOptions",
    "patches",
}


def _merge(base, patch):
    """Strategic merge as kustomize does it for these objects: maps recursively, lists of named
    maps (containers, env, ports, volumes) by name, other lists replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(item, dict) and "name" in item for item in base + patch)
    ):
        merged = [copy.deepcopy(item) for item in base]
        for item in patch:
            for index, existing in enumerate(merged):
                if existing["name"] == item["name"]:
                    merged[index] = _merge(existing, item)
                    break
            else:
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(patch)


def _json6902(document, operations):
    for operation in operations:
        if operation["op"] not in ("replace", "add"):
            raise ValueError(f"unsupported JSON patch op {operation['op']!r}")
        *parents, last = [part for part in operation["path"].split("/") if part]
        target = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = operation["value"]
        else:
            target[last] = operation["value"]


def _pod_spec(document):
    spec = document.get("spec", {})
    return spec.get("template", {}).get("spec") if "template" in spec else None


def build(directory: Path) -> list[dict]:
    directory = Path(directory)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise ValueError(f"{directory}: kustomization fields this renderer does not know: {sorted(unknown)}")
    documents: list[dict] = []
    for resource in kustomization.get("resources", []):
        path = directory / resource
        if path.is_dir():
            documents += build(path)
        else:
            documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]

    def named(kind, name):
        return [doc for doc in documents if doc["kind"] == kind and doc["metadata"]["name"] == name]

    for generator in kustomization.get("configMapGenerator", []):
        if generator.get("behavior") != "merge":
            raise ValueError("only configMapGenerator with behavior: merge is supported")
        (config_map,) = named("ConfigMap", generator["name"])
        for literal in generator.get("literals", []):
            key, _, value = literal.partition("=")
            config_map.setdefault("data", {})[key] = value
    for patch in kustomization.get("patches", []):
        if "path" in patch:
            for part in yaml.safe_load_all((directory / patch["path"]).read_text()):
                (target,) = named(part["kind"], part["metadata"]["name"])
                documents[documents.index(target)] = _merge(target, part)
        else:
            for target in named(patch["target"]["kind"], patch["target"]["name"]):
                _json6902(target, yaml.safe_load(patch["patch"]))
    for replica in kustomization.get("replicas", []):
        for target in documents:
            if target["metadata"]["name"] == replica["name"] and target["kind"] in (
                "Deployment",
                "StatefulSet",
            ):
                target["spec"]["replicas"] = replica["count"]
    for image in kustomization.get("images", []):
        for document in documents:
            spec = _pod_spec(document)
            for container in (spec or {}).get("containers", []) + (spec or {}).get("initContainers", []):
                name, _, _tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image['newTag']}"
    for label in kustomization.get("labels", []):
        if label.get("includeSelectors") or label.get("includeTemplates"):
            raise ValueError("labels with includeSelectors / includeTemplates are not supported")
        for document in documents:
            document["metadata"].setdefault("labels", {}).update(label["pairs"])
    if "namespace" in kustomization:
        for document in documents:
            if document["kind"] != "Namespace":
                document["metadata"]["namespace"] = kustomization["namespace"]
    return documents
