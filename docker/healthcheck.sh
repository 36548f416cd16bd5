#!/bin/bash
# The image's HEALTHCHECK. When the container's command runs the report server or the live
# dashboard (serve=True or metrics=True on PID 1's command line), it is healthy only while that
# port answers HTTP. Any status line counts: a server bound beyond loopback answers 401 without
# its token and is still alive. Without a server it is healthy while its process runs, which the
# container runtime already knows. bash's /dev/tcp stands in for curl, which the image lacks.
set -u
cmdline=$(tr '\0' '\n' </proc/1/cmdline 2>/dev/null || true)
wants_server=false
port=8080
while IFS= read -r arg; do
  case "${arg,,}" in
    serve=true|serve=1|metrics=true|metrics=1) wants_server=true ;;
    port=*) port="${arg#*=}" ;;
  esac
done <<<"$cmdline"
[[ $wants_server == true ]] || exit 0
exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || exit 1
printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
IFS= read -r -t 5 status <&3 || exit 1
[[ "$status" == HTTP/1.* ]]
