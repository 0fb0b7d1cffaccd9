# Running a Kubernetes sample's pod here, as the kubelet would: its script, mounts and user
# read from the YAML (k8s_pod.py); its volumes laid out as the kubelet does (a Secret's keys
# are links into ..data, root-owned, of the pod's fsGroup, defaultMode; a ConfigMap's files
# 0644; the volume of ledgers the fsGroup's); samples/devreset.conf with this tenant's values;
# a mount namespace of its own, as the pod's user. Sourced after lib.sh, with $samples set.
# Needs root (as CI runs): mount namespaces and another user.

k8s_prepare() {  # yaml [job name [job uid]] -> sets $pod, $pod_user, $fs_group, $vol, $k8s_binds, $pod_script
  [[ $(id -u) -eq 0 ]] || fail "needs root (as CI runs): a mount namespace and the pod's user"
  pod=$(k8s_pod "$@")
  pod_user=$(json_get "$pod" '["user"]')
  fs_group=$(json_get "$pod" '["fs_group"]')
  [[ $pod_user -ne 0 ]] || fail "the pod runs as root"
  vol=$work/vol
  mkdir -p "$vol/config" "$vol/sa-key" "$vol/ledger"
  sed -e "s|^tenant = .*|tenant = $tenant|" -e "s|^sa-id = .*|sa-id = $k8s_sa_id|" \
    "$samples/devreset.conf" >"$vol/config/devreset.conf"
  echo "ca-file = /etc/devreset/ca.pem   # the sim's own CA (a tenant's is public)" >>"$vol/config/devreset.conf"
  cp "$work/ca.pem" "$vol/config/ca.pem"
  chmod 755 "$vol/config" && chmod 644 "$vol/config"/*
  local mode data=..2026_11_29_02_30_00.1
  mode=$(printf '%o' "$(json_get "$pod" '["volumes"]["sa-key"]["defaultMode"]')")
  mkdir "$vol/sa-key/$data"
  cp "$samples/service-account.jwk.json" "$vol/sa-key/$data/sa.jwk.json"
  chown -R "0:$fs_group" "$vol/sa-key" && chmod "$mode" "$vol/sa-key/$data/sa.jwk.json"
  chmod 755 "$vol/sa-key/$data" && chmod 1777 "$vol/sa-key"
  ln -s "$data" "$vol/sa-key/..data" && ln -s ..data/sa.jwk.json "$vol/sa-key/sa.jwk.json"
  chown "0:$fs_group" "$vol/ledger" && chmod 2775 "$vol/ledger"  # the fsGroup's, setgid
  k8s_made=()
  trap 'for d in "${k8s_made[@]}"; do rmdir "$d" 2>/dev/null || true; done; cleanup' EXIT
  k8s_binds=""
  local name path ro
  while read -r name path ro; do
    k8s_make_dir "$path"
    k8s_binds+="mount --bind '$vol/$name' '$path'; "
    [[ $ro == True ]] && k8s_binds+="mount -o remount,bind,ro '$path'; "
  done < <(python3 -c 'import json,sys; [print(m["name"], m["path"], m["ro"]) for m in json.loads(sys.argv[1])["mounts"]]' "$pod")
  k8s_bin=/run/devreset-k8s-bin
  k8s_make_dir "$k8s_bin"
  k8s_binds+="mount --bind '$(dirname "$devreset")' $k8s_bin; "
  pod_script=$(json_get "$pod" '["script"]')
}

k8s_pod() {  # yaml [job name [job uid]] -> what the pod runs, as JSON (k8s_pod.py)
  /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/k8s_pod.py" "$1" devreset "${@:2}"
}

k8s_make_dir() {  # path: created 0755 with its missing parents, each removed after (deepest first)
  local d=$1 new=()
  while [[ ! -d $d ]]; do new=("$d" "${new[@]}"); d=$(dirname "$d"); done
  for d in "${new[@]}"; do mkdir -m 755 "$d"; k8s_made=("$d" "${k8s_made[@]}"); done
}

pod_run() {  # [NAME=VALUE ...]: the pod's script, with the environment the kubelet adds
  unshare --mount --propagation private bash -c "$k8s_binds exec setpriv --reuid=$pod_user \
    --regid=$(json_get "$pod" '["group"]') --groups=$fs_group env -i PATH=$k8s_bin:/usr/bin:/bin \
    HOME=/tmp $* $(json_get "$pod" '["shell"][0]') -c \"\$1\"" _ "$pod_script"
}
