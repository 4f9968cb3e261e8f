/* SPDX-License-Identifier: MIT */
/*
 * profile_default.c - the built-in requirement profile: the vendor's table in DESIGN.md ("The
 * vendor's requirements"), in the file format of docs/profile.md, so that the default goes
 * through the same parser as a user's file and `sensoscope rules --format ini` can print it.
 *
 * Keep the [local] section last with its nets on the last line: `rules --format ini` appends
 * --local-net networks to the default as continuation lines of that value.
 */
#include "dissect/profile.h"

static const char default_text[] =
    "# sensoscope built-in profile: the Senso vendor's requirements. Every rule is outbound\n"
    "# from the school network (unless scope = lan), to be allowed and excluded from filtering\n"
    "# and HTTPS inspection, for authenticated and unauthenticated connections.\n"
    "[profile]\n"
    "name = default\n"
    "\n"
    "[rule cloud]\n"
    "hosts = *.senso.cloud\n"
    "ports = tcp/443\n"
    "product = yes\n"
    "used_for = front-end and back-end services\n"
    "\n"
    "[rule signalr]\n"
    "hosts = *.service.signalr.net\n"
    "ports = tcp/443\n"
    "product = yes\n"
    "used_for = client communication\n"
    "\n"
    "[rule blob-general]\n"
    "hosts = sensoeugeneral.blob.core.windows.net\n"
    "ports = tcp/443\n"
    "used_for = general storage\n"
    "\n"
    "[rule blob-modules]\n"
    "hosts = sensoeustorage.blob.core.windows.net\n"
    "ports = tcp/443\n"
    "used_for = module downloads\n"
    "\n"
    "[rule blob-logs]\n"
    "hosts = sensologarchivestorage.blob.core.windows.net\n"
    "ports = tcp/443\n"
    "used_for = archived logging data\n"
    "\n"
    "# STUN and TURN: tcp/443 is TURN over TLS when UDP is closed.\n"
    "[rule sturn-eu]\n"
    "hosts = senso-sturn-northeu.cloudapp.net\n"
    "ports = tcp/443 udp/3478 tcp/3478\n"
    "used_for = live thumbnails, module feedback\n"
    "\n"
    "[rule sturn-us]\n"
    "hosts = senso-sturn-centralusa.cloudapp.net\n"
    "ports = tcp/443 udp/3478 tcp/3478\n"
    "used_for = live thumbnails, module feedback (North American customers)\n"
    "\n"
    "# Method 3: media relayed through the TURN servers' relay ports.\n"
    "[rule relay]\n"
    "hosts = rule:sturn-eu rule:sturn-us\n"
    "ports = udp/49152-65535\n"
    "traffic = ice\n"
    "used_for = TURN relay (method 3)\n"
    "\n"
    "# Method 2: any UDP port outbound, but only flows that carry ICE checks or ICE media.\n"
    "[rule holepunch]\n"
    "hosts = *\n"
    "ports = udp/0-65535\n"
    "traffic = ice\n"
    "used_for = server-reflexive candidates (method 2)\n"
    "\n"
    "# Screen broadcasting: the receiver connects to the sender, both on the school network.\n"
    "[rule broadcast]\n"
    "scope = lan\n"
    "hosts = *\n"
    "ports = tcp/30100\n"
    "used_for = screen broadcasting on one LAN (the sender opens its own Windows firewall)\n"
    "\n"
    "# RFC 1918, RFC 6598 shared (CGN), IPv4 link-local and loopback, RFC 4193 unique local,\n"
    "# IPv6 link-local and loopback.\n"
    "[local]\n"
    "nets = 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 169.254.0.0/16 127.0.0.0/8\n"
    "       fc00::/7 fe80::/10 ::1/128\n";

const char *dis_profile_default_text(void)
{
    return default_text;
}
