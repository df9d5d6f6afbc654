#!/usr/bin/env bash
# Two homes behind their own NAT and a "public" network, built from network namespaces, for
# tests/integration/nat-turn.test.ts (issue 16). Needs root, iproute2 and iptables.
#
#   scripts/nat-lab.sh up PREFIX     build it (any half-built lab of that PREFIX is removed first)
#   scripts/nat-lab.sh down PREFIX   remove every namespace of PREFIX (their interfaces, addresses,
#                                    routes and iptables rules go with them)
#   scripts/nat-lab.sh block PREFIX a|b    drop everything crossing that home's router (a dead network)
#   scripts/nat-lab.sh unblock PREFIX a|b  and let it through again (a brief loss)
#   scripts/nat-lab.sh install       apt-get install iptables and coturn where missing (root; CI, scripts/test.sh)
#
#   PREFIX-home-a 10.0.1.2 --- 10.0.1.1 PREFIX-rtr-a 198.51.100.1 ---.
#                                       MASQUERADE --random-fully      198.51.100.2
#                                                                     PREFIX-pub  203.0.113.1 (server, coturn)
#                                                                      198.51.100.6
#   PREFIX-home-b 10.0.2.2 --- 10.0.2.1 PREFIX-rtr-b 198.51.100.5 ---'
#
# The routers are symmetric NATs (a new random public port for every destination, --random-fully)
# that drop anything from outside not answering a connection from inside: a server-reflexive
# candidate learnt from STUN is useless to the other home, as for roughly one pair in five on the
# internet. Addresses are documentation ranges (RFC 5737); nothing is connected to the machine's own
# network namespace, so nothing the lab carries can leave it. Every change lives inside the lab's
# namespaces and disappears with them: `down` is the whole clean-up.
set -euo pipefail

cmd=${1:?usage: nat-lab.sh up|down|block PREFIX [a|b] | install}
if [ "$cmd" = install ]; then
  missing=()
  command -v iptables >/dev/null || [ -x /usr/sbin/iptables ] || missing+=(iptables)
  command -v turnserver >/dev/null || missing+=(coturn)
  [ ${#missing[@]} -eq 0 ] && exit 0
  [ "$(id -u)" -eq 0 ] || { echo "nat-lab: ${missing[*]} missing and this is not root" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  exit $?
fi
prefix=${2:?usage: nat-lab.sh up|down|block PREFIX [a|b]}
[[ $prefix =~ ^[a-z0-9-]{1,20}$ ]] || { echo "nat-lab: PREFIX must be 1-20 of [a-z0-9-]" >&2; exit 2; }
PUB=$prefix-pub
namespaces=("$PUB" "$prefix-rtr-a" "$prefix-home-a" "$prefix-rtr-b" "$prefix-home-b")

down() {
  local ns
  for ns in "${namespaces[@]}"; do
    if ip netns list | grep -qw -- "$ns"; then ip netns del "$ns"; fi
  done
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

quiet_ns() {
  # No IPv6: no link-local candidates to wait for.
  in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

home() {
  local side=$1 lan=$2 wan=$3 pubside=$4
  local rtr=$prefix-rtr-$side home=$prefix-home-$side
  ip netns add "$rtr"
  ip netns add "$home"
  quiet_ns "$rtr"
  quiet_ns "$home"
  # The homes' loopback stays down: @roamhq/wrtc gathers candidates on 127.0.0.1 too, whose STUN and
  # TURN requests never get an answer, so ICE gathering never completes and every offer and answer
  # waits out simple-peer's 5 s gathering timeout (a Chromium tab ignores loopback).
  # home eth0 <-> router lan
  ip -n "$home" link add eth0 type veth peer name lan netns "$rtr"
  ip -n "$home" addr add "10.0.$lan.2/24" dev eth0
  ip -n "$home" link set eth0 up
  ip -n "$home" route add default via "10.0.$lan.1"
  ip -n "$rtr" addr add "10.0.$lan.1/24" dev lan
  ip -n "$rtr" link set lan up
  # router wan <-> pub
  ip -n "$rtr" link add wan type veth peer name "w$side" netns "$PUB"
  ip -n "$rtr" addr add "198.51.100.$wan/30" dev wan
  ip -n "$rtr" link set wan up
  ip -n "$rtr" route add default via "198.51.100.$pubside"
  ip -n "$PUB" addr add "198.51.100.$pubside/30" dev "w$side"
  ip -n "$PUB" link set "w$side" up
  in_ns "$rtr" sysctl -qw net.ipv4.ip_forward=1
  in_ns "$rtr" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully
  in_ns "$rtr" iptables -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  in_ns "$rtr" iptables -A FORWARD -i wan -o lan -j DROP
}

up() {
  down
  trap 'down' ERR
  ip netns add "$PUB"
  quiet_ns "$PUB"
  in_ns "$PUB" ip link set lo up
  ip -n "$PUB" addr add 203.0.113.1/32 dev lo
  # The internet drops packets for private addresses silently; with no route at all, coturn's send to
  # a peer's host candidate (10.0.x.2) fails with ENETUNREACH, and coturn then closes that relay
  # session (every relayed link died ~1 s after opening). A default route into a dummy interface
  # sinks them instead: a veth pair inside pub, the next hop a made-up neighbour nobody answers as.
  ip -n "$PUB" link add sink type veth peer name sink-end
  ip -n "$PUB" link set sink up
  ip -n "$PUB" link set sink-end up
  ip -n "$PUB" addr add 192.0.2.1/30 dev sink
  ip -n "$PUB" neigh add 192.0.2.2 lladdr 02:00:00:00:00:01 dev sink nud permanent
  ip -n "$PUB" route add default via 192.0.2.2 dev sink
  # The public network routes between the two homes' public addresses, as the internet would.
  in_ns "$PUB" sysctl -qw net.ipv4.ip_forward=1
  home a 1 1 2
  home b 2 5 6
  trap - ERR
}

block() {
  local side=${1:?block needs a or b}
  [[ $side == a || $side == b ]] || { echo "nat-lab: block a|b" >&2; exit 2; }
  in_ns "$prefix-rtr-$side" iptables -I FORWARD 1 -j DROP
}

unblock() {
  local side=${1:?unblock needs a or b}
  [[ $side == a || $side == b ]] || { echo "nat-lab: unblock a|b" >&2; exit 2; }
  # Exactly the rule block inserted (no interfaces): the NAT's own wan->lan DROP stays.
  in_ns "$prefix-rtr-$side" iptables -D FORWARD -j DROP
}

case $cmd in
  up) up ;;
  down) down ;;
  block) block "${3:-}" ;;
  unblock) unblock "${3:-}" ;;
  *) echo "usage: nat-lab.sh up|down|block|unblock PREFIX [a|b] | install" >&2; exit 2 ;;
esac
