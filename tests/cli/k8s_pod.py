#!/usr/bin/env python3
"""What a Kubernetes CronJob's pod would run, read from the YAML (not copied from it).

Usage: k8s_pod.py CRONJOB_OR_JOB.yaml CONTAINER [JOB_NAME]
Prints one JSON object: the container's shell script (command must be a shell's -c; the
arguments expanded as the kubelet does: $$ is $, $(NAME) an env value of the container, a
variable from the Job's name label that JOB_NAME, as the Job controller labels its pods),
its volume mounts, the volumes they name, and the pod's user, group and fsGroup.
"""
import json
import re
import sys

import yaml


def expand(text, env):
    # Kubernetes' rule: $$ -> $; $(NAME) -> the variable when defined, else left as it is.
    def one(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", one, text)


def main():
    doc = yaml.safe_load(open(sys.argv[1]))
    assert doc["kind"] in ("CronJob", "Job"), doc["kind"]
    job = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    pod = job["template"]["spec"]
    (c,) = [c for c in pod["containers"] if c["name"] == sys.argv[2]]
    env = {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}
    job_name = sys.argv[3] if len(sys.argv) > 3 else doc["metadata"]["name"]
    for e in c.get("env", []):
        field = e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        if field is None:
            continue
        assert field == "metadata.labels['batch.kubernetes.io/job-name']", f"unknown field: {field}"
        env[e["name"]] = job_name
    command = c.get("command", [])
    assert command[-1:] == ["-c"], f"not a shell script: {command}"
    (script,) = c["args"]
    volumes = {}
    for v in pod.get("volumes", []):
        kind = next(k for k in ("configMap", "secret", "persistentVolumeClaim", "emptyDir") if k in v)
        volumes[v["name"]] = {"kind": kind, "defaultMode": (v[kind] or {}).get("defaultMode", 0o644)}
    sc = pod.get("securityContext", {})
    print(json.dumps({
        "shell": command[:-1],
        "script": expand(script, env),
        "env": env,
        "secret_env": [e["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})],
        "mounts": [{"name": m["name"], "path": m["mountPath"], "ro": bool(m.get("readOnly"))}
                   for m in c.get("volumeMounts", [])],
        "volumes": volumes,
        "user": sc.get("runAsUser", 0), "group": sc.get("runAsGroup", 0), "fs_group": sc.get("fsGroup"),
        "image": c["image"],
        "pod_failure_policy": job.get("podFailurePolicy", {}),
        "restart_policy": pod.get("restartPolicy"),
        "completions": job.get("completions", 1),
        "indexed": job.get("completionMode") == "Indexed",
    }))


main()
