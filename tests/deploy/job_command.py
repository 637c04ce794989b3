#!/usr/bin/env python3
"""Checks deploy/kubernetes/ferry-job.yaml as Kubernetes would read it, and prints what the
deploy-example test runs: the container's command and its literal environment, as JSON.

Refuses (exit 1, naming the field) a manifest that is not valid YAML or not the Indexed Job
the README describes: completions equal to parallelism, a per-index backoff, a pod failure
policy, passwords from a Secret, memory requested as limited, restartPolicy Never."""
import json
import sys

import yaml


def fail(text):
    print(f"{sys.argv[1]}: {text}", file=sys.stderr)
    sys.exit(1)


def main():
    with open(sys.argv[1]) as f:
        try:
            docs = [d for d in yaml.safe_load_all(f) if d]
        except yaml.YAMLError as e:
            fail(f"not valid YAML: {e}")
    secrets = {d["metadata"]["name"] for d in docs if d.get("kind") == "Secret"}
    jobs = [d for d in docs if d.get("kind") == "Job"]
    if len(jobs) != 1 or jobs[0].get("apiVersion") != "batch/v1":
        fail("expected one batch/v1 Job")
    spec = jobs[0]["spec"]
    if spec.get("completionMode") != "Indexed":
        fail("spec.completionMode is not Indexed")
    if spec.get("completions") != spec.get("parallelism") or not spec.get("completions"):
        fail("spec.completions and spec.parallelism differ")
    if "backoffLimitPerIndex" not in spec:
        fail("spec.backoffLimitPerIndex is missing")
    if not spec.get("podFailurePolicy", {}).get("rules"):
        fail("spec.podFailurePolicy has no rules")
    pod = spec["template"]["spec"]
    if pod.get("restartPolicy") != "Never":
        fail("the pod's restartPolicy must be Never for a pod failure policy")
    (container,) = pod["containers"]
    env = {}
    from_secret = set()
    for var in container.get("env", []):
        source = var.get("valueFrom", {})
        if "value" in var:
            env[var["name"]] = str(var["value"])
        elif "secretKeyRef" in source:
            if source["secretKeyRef"]["name"] not in secrets:
                fail(f"{var['name']} names a Secret the manifest does not define")
            from_secret.add(var["name"])
    for needed in ("FERRY_SOURCE_PASSWORD", "FERRY_DEST_PASSWORD"):
        if needed not in from_secret:
            fail(f"{needed} does not come from a Secret")
    resources = container.get("resources", {})
    if resources.get("requests", {}).get("memory") != resources.get("limits", {}).get("memory"):
        fail("memory requests and limits differ")
    if str(spec["completions"]) != env.get("WORKERS"):
        fail("WORKERS differs from spec.completions")
    print(json.dumps({"command": container["command"], "env": env,
                      "completions": spec["completions"]}))


if __name__ == "__main__":
    main()
