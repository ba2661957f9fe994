#!/usr/bin/env python3
"""Writes the scenario bundles of tests/scenarios/NNN-name/ (bundle files + expected.json).

The files are in the formats the Windows tools really write (see tests/data/ for the public
samples they follow): Get-Queue/Get-ReceiveConnector ConvertTo-Json (PowerShell 7 and Windows
PowerShell 5.1 styles, some as UTF-16LE with BOM as `>` writes them), setspn -L/-X/-Q, repadmin
/showrepl /csv, w32tm /stripchart /dataonly, wevtutil qe /f:xml. The generated files are
committed; run this script only to change the scenarios: python3 tests/scenarios/generate.py
"""
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN = "contoso.com"
NOW = "2026-11-26T10:00:00Z"

HOSTS = {
    "DC01": dict(role="dc", ip="10.1.1.1", pdc=True),
    "DC02": dict(role="dc", ip="10.1.1.2", pdc=False),
    "EX01": dict(role="exchange", ip="10.1.1.11", pdc=False),
    "EX02": dict(role="exchange", ip="10.1.1.12", pdc=False),
    "EX03": dict(role="exchange", ip="10.1.1.13", pdc=False),
    "EX04": dict(role="exchange", ip="10.1.1.14", pdc=False),
}

SEED_454 = ('451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary '
            'authentication failure." Attempted failover to alternate host, but that did not '
            'succeed. Either there are no alternate hosts, or delivery failed to all alternate '
            'hosts. The last endpoint attempted was {ip}:{port}')
NOT_OFFERED = ('451 4.4.0 Primary target IP address responded with: "451 5.7.3 Cannot achieve '
               'Exchange Server authentication." Attempted failover to alternate host, but that '
               'did not succeed. Either there are no alternate hosts, or delivery failed to all '
               'alternate hosts. The last endpoint attempted was {ip}:{port}')
# The KB's own LastError (Exchange 2010): no endpoint, no FQDN, as a 'hub version 14' queue shows.
KB_454 = ('451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary '
          'authentication failure." Attempted failover to alternate host, but that did not '
          'succeed. Either there are no alternate hosts, or delivery failed to all alternate '
          'hosts.')
KB_573 = ('451 4.4.0 Primary target IP address responded with: "451 5.7.3 Cannot achieve '
          'Exchange Server authentication." Attempted failover to alternate host, but that did '
          'not succeed. Either there are no alternate hosts, or delivery failed to all alternate '
          'hosts.')
DNS_FAIL = '451 4.4.0 DNS query failed. The error was: DNS query failed with error ErrorRetry'

EXCHANGE_SPNS = ["SMTP/{n}", "SMTP/{f}", "SmtpSvc/{n}", "SmtpSvc/{f}", "exchangeAB/{n}",
                 "exchangeAB/{f}", "exchangeRFR/{n}", "exchangeRFR/{f}", "exchangeMDB/{n}",
                 "exchangeMDB/{f}", "WSMAN/{l}", "WSMAN/{f}", "RestrictedKrbHost/{n}", "HOST/{n}",
                 "RestrictedKrbHost/{f}", "HOST/{f}"]


def fqdn(name):
    return f"{name.lower()}.{DOMAIN}"


def ip(name):
    return HOSTS[name]["ip"]


class Bundle:
    def __init__(self, name, description):
        self.dir = os.path.join(HERE, name)
        self.description = description
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "hosts"))
        self.write("bundle.json", json.dumps(
            {"format": "kerbside-bundle/1", "max_clock_skew_seconds": 300}, indent=2))

    def write(self, rel, text, utf16=False):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if utf16:
            data = b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le")
        else:
            data = text.encode("utf-8")
        with open(path, "wb") as f:
            f.write(data)

    def host(self, name, collected_at=NOW, pdc=None, site="HQ", **exchange_facts):
        """exchange_facts: the optional exchange_version, dag, server_roles of host.json."""
        h = HOSTS[name]
        j = {"name": name, "fqdn": fqdn(name), "role": h["role"], "site": site,
             "domain": DOMAIN, "ips": [h["ip"]], "pdc_emulator": h["pdc"] if pdc is None else pdc}
        j.update(exchange_facts)
        j["collected_at"] = collected_at
        self.write(f"hosts/{name}/host.json", json.dumps(j, indent=2))

    def expected(self, diagnoses):
        self.write("expected.json", json.dumps(
            {"description": self.description, "diagnoses": diagnoses}, indent=2) + "\n")


# ---- Exchange ------------------------------------------------------------------------------

def queue(sender, target, status="Retry", count=12, error=None, port=2525, shape="lrt", n=1):
    """One Get-Queue object as PowerShell 7 writes it."""
    q = {"Identity": f"{sender}\\{n}", "DeliveryType": "SmtpRelayToMailboxDeliveryGroup",
         "Status": status, "MessageCount": count if status != "Active" else 0,
         "NextHopDomain": fqdn(target) if target in HOSTS else target,
         "LastError": None, "LastRetryTime": "2026-11-26T09:58:01.0000000+00:00"}
    if error:
        text = error.format(ip=ip(target) if target in HOSTS else "203.0.113.9", port=port)
        if shape == "lrt" and target in HOSTS:
            text = (f"[{{LRT=11/26/2026 9:58:01 AM}};{{LED={text}}};"
                    f"{{FQDN={fqdn(target)}}};{{IP={ip(target)}}}]")
        q["LastError"] = text
    return q


# Windows PowerShell 5.1 writes DeliveryType as its number (Microsoft.Exchange.Data.DeliveryType).
DELIVERY_TYPE = {"SmtpRelayToRemoteAdSite": 5, "SmtpRelayWithinAdSite": 7, "SmtpRelayToDag": 14,
                 "SmtpRelayToMailboxDeliveryGroup": 15}


def hop_queue(sender, n, next_hop, delivery_type, status="Retry", count=23, error=None,
              tried=None, ps51=False):
    """A queue whose NextHopDomain is no host ('hub version 14', a site, a DAG). Exchange 2010
    writes the plain LastError; Exchange 2013+ writes the LRT shape naming the server it tried
    (`tried`)."""
    q = {"Identity": f"{sender}\\{n}", "DeliveryType": delivery_type, "Status": status,
         "MessageCount": count if status == "Retry" else 0, "NextHopDomain": next_hop,
         "LastError": None, "LastRetryTime": "2026-11-26T09:58:01.0000000+00:00"}
    if error and tried:
        q["LastError"] = (f"[{{LRT=11/26/2026 9:58:01 AM}};{{LED={error}}};"
                          f"{{FQDN={fqdn(tried)}}};{{IP={ip(tried)}}}]")
    elif error:
        q["LastError"] = error
    if ps51:
        q["Status"] = {"Active": 1, "Ready": 2, "Retry": 3}[q["Status"]]
        q["DeliveryType"] = DELIVERY_TYPE[q["DeliveryType"]]
        q["LastRetryTime"] = "/Date(1795687081000)/"
    return q


def connectors_2010(b, host, extra=()):
    """Exchange 2010 hub transport: 'Default HOST' on 25 takes server-to-server mail."""
    default = [
        {"Identity": f"{host}\\Default {host}", "Enabled": True, "TransportRole": "HubTransport",
         "Bindings": ["0.0.0.0:25"], "RemoteIPRanges": ["0.0.0.0-255.255.255.255"],
         "AuthMechanism": "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
         "PermissionGroups": "ExchangeUsers, ExchangeServers, ExchangeLegacyServers"},
        {"Identity": f"{host}\\Client {host}", "Enabled": True, "TransportRole": "HubTransport",
         "Bindings": ["0.0.0.0:587"], "RemoteIPRanges": ["0.0.0.0-255.255.255.255"],
         "AuthMechanism": "Tls, Integrated, BasicAuth, BasicAuthRequireTLS",
         "PermissionGroups": "ExchangeUsers"},
    ]
    b.write(f"hosts/{host}/get-receiveconnector.json", json.dumps(default + list(extra), indent=2))


def get_queue(b, host, queues, ps51=False):
    if ps51:
        status_num = {"Active": 1, "Ready": 2, "Retry": 3}
        for q in queues:
            q["Status"] = status_num[q["Status"]]
            q["DeliveryType"] = DELIVERY_TYPE[q["DeliveryType"]]
            q["LastRetryTime"] = "/Date(1795687081000)/"
        text = json.dumps(queues, indent=4).replace(": ", ":  ")
        b.write(f"hosts/{host}/get-queue.json", text, utf16=True)
    else:
        b.write(f"hosts/{host}/get-queue.json", json.dumps(queues, indent=2))


def healthy(sender, target, n):
    return queue(sender, target, status="Active", n=n)


def connectors(b, host, extra=()):
    default = [
        {"Identity": f"{host}\\Default {host}", "Enabled": True, "TransportRole": "HubTransport",
         "Bindings": ["[::]:2525", "0.0.0.0:2525"],
         "RemoteIPRanges": ["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                            "0.0.0.0-255.255.255.255"],
         "AuthMechanism": "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
         "PermissionGroups": "ExchangeUsers, ExchangeServers, ExchangeLegacyServers"},
        {"Identity": f"{host}\\Default Frontend {host}", "Enabled": True,
         "TransportRole": "FrontendTransport", "Bindings": ["[::]:25", "0.0.0.0:25"],
         "RemoteIPRanges": ["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                            "0.0.0.0-255.255.255.255"],
         "AuthMechanism": "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
         "PermissionGroups": "AnonymousUsers, ExchangeServers, ExchangeLegacyServers"},
    ]
    b.write(f"hosts/{host}/get-receiveconnector.json", json.dumps(default + list(extra), indent=2))


def custom_connector(host, name, port, ranges, role="FrontendTransport"):
    return {"Identity": f"{host}\\{name}", "Enabled": True, "TransportRole": role,
            "Bindings": [f"0.0.0.0:{port}"], "RemoteIPRanges": ranges,
            "AuthMechanism": "Tls", "PermissionGroups": "AnonymousUsers"}


# ---- clocks --------------------------------------------------------------------------------

def stripchart(b, host, target, host_ahead_seconds):
    # w32tm prints the remote clock minus the local one: a host ahead prints a negative offset.
    printed = -host_ahead_seconds
    lines = [f"Tracking {fqdn(target)} [{ip(target)}:123].", "Collecting 5 samples.",
             "The current time is 11/26/2026 9:59:50 AM."]
    for i, jitter in enumerate([0.0012, -0.0008, 0.0003, 0.0010, -0.0004]):
        lines.append(f"09:59:{50 + 2 * i:02d}, {printed + jitter:+011.7f}s")
    b.write(f"hosts/{host}/w32tm-stripchart-{target}.txt", "\n".join(lines) + "\n", utf16=True)


def w32tm_status(b, host, source):
    """w32tm /query /status of a domain member syncing from `source` (tests/data/windows/)."""
    lines = ["Leap Indicator: 0(no warning)",
             "Stratum: 3 (secondary reference - syncd by (S)NTP)",
             "Precision: -23 (119.209ns per tick)", "Root Delay: 0.0312500s",
             "Root Dispersion: 0.0512345s",
             f"ReferenceId: 0x0A00000A (source IP:  {ip(source)})",
             "Last Successful Sync Time: 11/26/2026 9:58:01 AM",
             f"Source: {source}.{DOMAIN}", "Poll Interval: 10 (1024s)"]
    b.write(f"hosts/{host}/w32tm-status.txt", "\n".join(lines) + "\n", utf16=True)


# ---- AD ------------------------------------------------------------------------------------

def setspn_l(b, on, account, spns):
    text = (f"C:\\Windows\\system32>setspn -L {account}\n"
            f"Registered ServicePrincipalNames for CN={account},OU=Exchange Servers,"
            f"DC=contoso,DC=com:\n" + "".join(f"        {s}\n" for s in spns) + "\n")
    b.write(f"hosts/{on}/setspn-l-{account}.txt", text)


def exchange_spns(name, drop=()):
    spns = [s.format(n=name, f=fqdn(name), l=name.lower()) for s in EXCHANGE_SPNS]
    return [s for s in spns if s not in drop]


def setspn_x(b, on, groups):
    lines = ["Checking domain DC=contoso,DC=com", "Processing entry 0", "Processing entry 7",
             "Processing entry 16"]
    for spn, dns in groups:
        lines.append(f"{spn} is registered on these accounts:")
        lines += [f"        {dn}" for dn in dns]
        lines.append("")
    lines.append(f"found {len(groups)} group of duplicate SPNs.")
    b.write(f"hosts/{on}/setspn-x.txt", "\n".join(lines) + "\n")


def setspn_q(b, on, pattern_word, accounts):
    lines = ["Checking domain DC=contoso,DC=com"]
    for dn, spns in accounts:
        lines.append(dn)
        lines += [f"        {s}" for s in spns]
    lines += ["", "Existing SPN found!"]
    b.write(f"hosts/{on}/setspn-q-{pattern_word}.txt", "\n".join(lines) + "\n")


def computer_accounts(b, dc, accounts):
    """computer-accounts.json as a DC agent reads it: accounts = [(sAMAccountName, dn, spns,
    kvno)], every account holding an SMTPSVC/ or SMTP/ SPN plus the Exchange servers'."""
    b.write(f"hosts/{dc}/computer-accounts.json", json.dumps({
        "format": "kerbside-accounts/1",
        "accounts": [{"sam_account_name": name,
                      "dn": dn, "spns": spns, "key_version_number": kvno,
                      "when_changed": "2026-11-26T09:12:44.000Z", "usn_changed": 12873,
                      "read_from_dc": fqdn(dc)} for name, dn, spns, kvno in accounts]}, indent=2))


def ticket_unknown(sender, spn):
    """A ticket probe from `sender` that the KDC answered KDC_ERR_S_PRINCIPAL_UNKNOWN."""
    return {"peer": spn.split("/")[1], "service_principal": f"{spn}@CONTOSO.COM",
            "client_principal": f"{sender}$@CONTOSO.COM", "ok": False, "kvno": None,
            "enctype": None, "enctype_name": "", "krb_error_code": 7,
            "krb_error_name": "KDC_ERR_S_PRINCIPAL_UNKNOWN",
            "error_message": "Server not found in Kerberos database",
            "failed_step": "service_ticket", "kdc": f"{ip('DC01')}:88", "latency_seconds": 0.002}


def repadmin(b, on, rows):
    lines = [f"Repadmin: running command /showrepl against full DC {on}.{DOMAIN}",
             "showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,"
             "Source DSA Site,Source DSA,Transport Type,Number of Failures,Last Failure Time,"
             "Last Success Time,Last Failure Status"]
    for dest, nc, src, failures, status in rows:
        nc_field = f'"{nc}"' if "," in nc else nc
        fail_time = "2026-11-26 09:45:02" if failures else "0"
        lines.append(f"showrepl_INFO,HQ,{dest},{nc_field},HQ,{src},RPC,{failures},{fail_time},"
                     f"2026-11-24 17:03:40,{status}")
    b.write(f"hosts/{on}/repadmin-showrepl.csv", "\n".join(lines) + "\n", utf16=True)


# ---- events --------------------------------------------------------------------------------

def event(provider, eid, computer, data, record, t="2026-11-26T09:41:07.9341470Z", channel="System",
          named=True):
    fields = "".join(
        (f"<Data Name='{k}'>{v}</Data>" if named else f"<Data>{v}</Data>") for k, v in data)
    return (f"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
            f"<Provider Name='{provider}'/><EventID>{eid}</EventID><Version>0</Version>"
            f"<Level>2</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8000000000000000"
            f"</Keywords><TimeCreated SystemTime='{t}'/><EventRecordID>{record}</EventRecordID>"
            f"<Correlation/><Execution ProcessID='580' ThreadID='2128'/><Channel>{channel}"
            f"</Channel><Computer>{computer}</Computer><Security/></System><EventData>{fields}"
            f"</EventData></Event>")


def security_4769(dc, client, service, status, record):
    return event("Microsoft-Windows-Security-Auditing", 4769, fqdn(dc), [
        ("TargetUserName", f"{client}$@CONTOSO.COM"), ("TargetDomainName", "CONTOSO.COM"),
        ("ServiceName", service), ("ServiceSid", "S-1-0-0"), ("TicketOptions", "0x40810000"),
        ("TicketEncryptionType", "0xffffffff"), ("IpAddress", f"::ffff:{ip(client)}"),
        ("IpPort", "60889"), ("Status", status),
        ("LogonGuid", "{00000000-0000-0000-0000-000000000000}"), ("TransmittedServices", "-")],
        record, channel="Security")


def ex_1035(target, connector, source, record):
    return event("MSExchangeTransport", 1035, fqdn(target), [
        ("", "IllegalMessage"), ("", connector), ("", "ExchangeAuth"), ("", ip(source))],
        record, channel="Application", named=False)


def krb_event_4(host, account, spn, record):
    return event("Microsoft-Windows-Security-Kerberos", 4, fqdn(host), [
        ("Server", f"{account.lower()}$"), ("TargetRealm", "CONTOSO.COM"), ("Targetname", spn)],
        record)


def kdc_event_11(dc, spn, record):
    return event("Microsoft-Windows-Kerberos-Key-Distribution-Center", 11, fqdn(dc), [
        ("Principal", spn), ("Type", "DS_SERVICE_PRINCIPAL_NAME")], record)


def w32time_36(host, record):
    return event("Microsoft-Windows-Time-Service", 36, fqdn(host), [
        ("TimeSinceLastSync", "86400")], record)


def probes(b, host, kdc_results, tickets=(), connected_silent=False):
    """probes.json (docs/probes-json.md): kdc_results = [(dc, transport, outcome[, port])];
    with connected_silent, a TCP probe that timed out had completed its handshake."""
    kdc = []
    for result in kdc_results:
        dc, transport, outcome = result[:3]
        port = result[3] if len(result) > 3 else 88
        entry = {"kdc": fqdn(dc), "address": f"{ip(dc)}:{port}", "port": port,
                 "service": "kerberos" if port == 88 else "kpasswd",
                 "transport": transport, "outcome": outcome,
                 "latency_seconds": 0.0012 if outcome == "answered" else None,
                 "connected": transport == "tcp" and (outcome == "answered" or
                                                      (connected_silent and outcome == "timed_out")),
                 "krb_error_code": 6 if outcome == "answered" else None,
                 "krb_error_name": "KDC_ERR_C_PRINCIPAL_UNKNOWN" if outcome == "answered" else "",
                 "kdc_clock": None,
                 "detail": {"refused": "connect: Connection refused",
                            "timed_out": "no answer within 2s"}.get(outcome, "")}
        if outcome == "answered":
            entry["kdc_clock"] = {"reference": fqdn(dc), "offset_seconds": 0.004,
                                  "uncertainty_seconds": 0.0006, "delay_seconds": 0.0012,
                                  "measured_at": "2026-11-26T09:59:30.000000Z"}
        kdc.append(entry)
    b.write(f"hosts/{host}/probes.json", json.dumps({
        "format": "kerbside-probes/1", "host": host, "realm": "CONTOSO.COM",
        "started_at": "2026-11-26T09:59:29.000000Z", "finished_at": "2026-11-26T09:59:33.000000Z",
        "attempt_timeout_seconds": 2, "kdc": kdc, "tickets": list(tickets), "smtp": []},
        indent=2))


def events(b, host, name, evs):
    b.write(f"hosts/{host}/events-{name}.xml", "\n".join(evs) + "\n")


# ---- the scenarios -------------------------------------------------------------------------

def base(b, hosts=("DC01", "DC02", "EX01", "EX02", "EX03")):
    for h in hosts:
        b.host(h)


def good_clocks(b, skip=()):
    for h in ("DC02", "EX01", "EX02", "EX03"):
        if h not in skip:
            stripchart(b, h, "DC01", 0.2)


def all_to(target, error=SEED_454, port=2525, senders=("EX01", "EX03")):
    return {s: [queue(s, target, error=error, port=port)] for s in senders}


def write_queues(b, per_sender, extra_healthy=True, ps51=()):
    n = 10
    for sender in ("EX01", "EX02", "EX03"):
        qs = list(per_sender.get(sender, []))
        if extra_healthy:
            failing_targets = {q["NextHopDomain"] for q in qs}
            for t in ("EX01", "EX02", "EX03"):
                if t != sender and fqdn(t) not in failing_targets:
                    n += 1
                    qs.append(healthy(sender, t, n))
        get_queue(b, sender, qs, ps51=sender in ps51)


def D(blamed, causes, not_checked=(), ruled_out=(), pattern=None, summary_contains=None,
      pattern_contains=None, next_hop=None):
    d = {"blamed_host": blamed, "causes": [{"cause": c, "confidence": k} for c, k in causes]}
    if pattern_contains:
        d["pattern_contains"] = pattern_contains
    if next_hop:
        d["next_hop"] = next_hop
    if summary_contains:
        d["causes"][0]["summary_contains"] = summary_contains
    if pattern:
        d["pattern_kind"] = pattern
    if not_checked:
        d["not_checked"] = list(not_checked)
    if ruled_out:
        d["ruled_out"] = list(ruled_out)
    return d


def spn_views(b, dcs=("DC01", "DC02"), target="EX02", drop_on=None, drop=()):
    for dc in dcs:
        setspn_l(b, dc, target, exchange_spns(target, drop if (drop_on in (None, dc)) else ()))


def healthy_repl(b):
    repadmin(b, "DC01", [("DC01", "DC=contoso,DC=com", "DC02", 0, 0),
                         ("DC02", "DC=contoso,DC=com", "DC01", 0, 0)])


def exchange_org(b, facts, hosts=("EX01", "EX02", "EX03"), branch=("EX03",), dags=None):
    """DC01 and DC02, and Exchange servers with `facts` (exchange_version, server_roles) in
    site HQ, those in `branch` in BRANCH, with their DAG from `dags` (name -> DAG)."""
    for h in ("DC01", "DC02"):
        b.host(h)
    for h in hosts:
        extra = {"dag": dags[h]} if dags and h in dags else {}
        b.host(h, site="BRANCH" if h in branch else "HQ", **extra, **facts)


def main():
    # 001: EX02 runs 7m12s ahead; both senders fail to it; the DC saw KRB_AP_ERR_SKEW.
    b = Bundle("001-clock-skew-target-confirmed", "EX02 7m12s ahead of the PDC emulator")
    base(b)
    good_clocks(b, skip=("EX02",))
    stripchart(b, "EX02", "DC01", 432)
    write_queues(b, all_to("EX02"), ps51=("EX03",))
    events(b, "DC01", "security", [security_4769("DC01", s, "EX02$", "0x25", 100 + i)
                                   for i, s in enumerate(["EX01", "EX03"] * 7)])
    spn_views(b)
    healthy_repl(b)
    b.expected([D("EX02", [("clock_skew", "confirmed")],
                  ruled_out=["spn_missing", "dc_replication"], pattern="target_side")])

    # 002: EX03 is 6m40s behind: it fails to every target (sender-side), no corroboration.
    b = Bundle("002-clock-skew-sender-likely", "EX03 400 s behind, sender-side, no events")
    base(b)
    good_clocks(b, skip=("EX03",))
    stripchart(b, "EX03", "DC01", -400)
    write_queues(b, {"EX03": [queue("EX03", "EX01", error=SEED_454, n=1),
                              queue("EX03", "EX02", error=SEED_454, n=2)]})
    b.expected([D("EX03", [("clock_skew", "likely")], pattern="sender_side")])

    # 003: DC02 never got EX02's SMTPSVC SPNs: DC=contoso,DC=com fails 1722 into DC02.
    b = Bundle("003-dc-replication-confirmed", "DC02 stale about EX02, replication 1722")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02"))
    spn_views(b, drop_on="DC02", drop=("SmtpSvc/EX02", "SmtpSvc/ex02.contoso.com"))
    repadmin(b, "DC02", [("DC02", "DC=contoso,DC=com", "DC01", 41, 1722),
                         ("DC01", "DC=contoso,DC=com", "DC02", 0, 0)])
    b.expected([D("DC02", [("dc_replication", "confirmed")], ruled_out=["spn_missing"])])

    # 004: the DCs disagree, replication status was not collected.
    b = Bundle("004-dc-replication-likely", "DC01 lacks EX02's SMTP SPNs that DC02 has")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02"))
    spn_views(b, drop_on="DC01", drop=("SMTP/EX02", "SmtpSvc/EX02"))
    b.expected([D("DC01", [("dc_replication", "likely")])])

    # 005: EX02's account lacks both SMTPSVC SPNs on both DCs; the KDC answered 0x7.
    b = Bundle("005-spn-missing-confirmed", "SMTPSVC SPNs missing everywhere, 4769 0x7")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02"))
    spn_views(b, drop=("SmtpSvc/EX02", "SmtpSvc/ex02.contoso.com"))
    healthy_repl(b)
    events(b, "DC01", "security", [
        security_4769("DC01", "EX01", "SMTPSVC/ex02.contoso.com", "0x7", 300),
        security_4769("DC01", "EX03", "SMTPSVC/ex02.contoso.com", "0x7", 301)])
    b.expected([D("EX02", [("spn_missing", "confirmed")],
                  ruled_out=["clock_skew", "dc_replication"])])

    # 006: one DC's listing lacks SMTPSVC/EX02 only; nothing else.
    b = Bundle("006-spn-missing-likely", "SMTPSVC/EX02 missing, one DC listing")
    base(b, hosts=("DC01", "EX01", "EX02", "EX03"))
    write_queues(b, all_to("EX02"))
    spn_views(b, dcs=("DC01",), drop=("SmtpSvc/EX02",))
    b.expected([D("EX02", [("spn_missing", "likely")], not_checked=["clock_skew"])])

    # 007: SMTPSVC/ex02.contoso.com also on the old OLDSRV account; EX02 logs KRB_AP_ERR_MODIFIED.
    b = Bundle("007-spn-duplicate-confirmed", "duplicate SMTPSVC SPN on OLDSRV")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02"))
    spn_views(b)
    setspn_x(b, "DC01", [("SmtpSvc/ex02.contoso.com",
                          ["CN=EX02,OU=Exchange Servers,DC=contoso,DC=com",
                           "CN=OLDSRV,OU=Retired,DC=contoso,DC=com"])])
    events(b, "EX02", "system", [krb_event_4("EX02", "EX02", "SMTPSVC/ex02.contoso.com", 400)])
    b.expected([D("EX02", [("spn_duplicate", "confirmed")])])

    # 008: setspn -Q SMTPSVC/* shows SMTPSVC/EX02 on two accounts; no events.
    b = Bundle("008-spn-duplicate-likely", "setspn -Q lists SMTPSVC/EX02 twice")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02"))
    setspn_q(b, "DC01", "SMTPSVC", [
        ("CN=EX01,OU=Exchange Servers,DC=contoso,DC=com", ["SmtpSvc/EX01", "SmtpSvc/ex01.contoso.com"]),
        ("CN=EX02,OU=Exchange Servers,DC=contoso,DC=com", ["SmtpSvc/EX02", "SmtpSvc/ex02.contoso.com"]),
        ("CN=EXTEST,OU=Lab,DC=contoso,DC=com", ["SmtpSvc/EX02"])])
    b.expected([D("EX02", [("spn_duplicate", "likely")])])

    # 009: a relay connector on EX02's port 25 covers 10.1.1.0/24; 1035 names it.
    b = Bundle("009-connector-auth-confirmed", "custom relay connector captures EX01 and EX03")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02", port=25))
    connectors(b, "EX02", [custom_connector("EX02", "Relay EX02", 25, ["10.1.1.0/24"])])
    spn_views(b)
    events(b, "EX02", "application", [ex_1035("EX02", "Relay EX02", s, 500 + i)
                                      for i, s in enumerate(["EX01", "EX03", "EX01"])])
    b.expected([D("EX02", [("connector_auth", "confirmed")], ruled_out=["clock_skew"])])

    # 010: a connector for one address on 2525 takes only EX01: pair-only, no events.
    # 5.7.3 in the queue corroborates the connector: confirmed, and only this pair fails.
    b = Bundle("010-connector-auth-pair-only", "connector for EX01's address only")
    base(b)
    good_clocks(b)
    write_queues(b, {"EX01": [queue("EX01", "EX02", error=NOT_OFFERED, shape="plain")]})
    connectors(b, "EX02", [custom_connector("EX02", "Scanner EX02", 2525, ["10.1.1.11"],
                                            role="HubTransport")])
    b.expected([D("EX02", [("connector_auth", "confirmed")], pattern="pair_only")])

    # 011: two causes on one target: EX02 is 10 minutes ahead AND its SPN is duplicated.
    b = Bundle("011-two-causes", "clock skew and a duplicate SPN on EX02")
    base(b)
    good_clocks(b, skip=("EX02",))
    stripchart(b, "EX02", "DC01", 600)
    write_queues(b, all_to("EX02"))
    setspn_x(b, "DC01", [("SMTPSVC/EX02", ["CN=EX02,OU=Exchange Servers,DC=contoso,DC=com",
                                           "CN=EX02-OLD,OU=Retired,DC=contoso,DC=com"])])
    events(b, "DC01", "security", [security_4769("DC01", "EX01", "EX02$", "0x25", 600)])
    b.expected([D("EX02", [("clock_skew", "confirmed"), ("spn_duplicate", "likely")])])

    # 012: red herring: EX02 is 200 s ahead (limit 300); the real cause is a missing SPN.
    b = Bundle("012-red-herring-skew-200", "200 s skew is within the limit; SPN missing")
    base(b)
    good_clocks(b, skip=("EX02",))
    stripchart(b, "EX02", "DC01", 200)
    write_queues(b, all_to("EX02"))
    spn_views(b, drop=("SmtpSvc/ex02.contoso.com",))
    b.expected([D("EX02", [("spn_missing", "likely")], ruled_out=["clock_skew"])])

    # 013: red herring: replication fails only in ForestDnsZones; the connector is the cause.
    b = Bundle("013-red-herring-unrelated-nc", "DNS zone replication fails; connector cause")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02", port=25))
    connectors(b, "EX02", [custom_connector("EX02", "Relay EX02", 25, ["10.1.1.0-10.1.1.50"])])
    spn_views(b)
    repadmin(b, "DC01", [("DC01", "DC=contoso,DC=com", "DC02", 0, 0),
                         ("DC01", "DC=ForestDnsZones,DC=contoso,DC=com", "DC02", 12, 1256),
                         ("DC02", "DC=contoso,DC=com", "DC01", 0, 0)])
    b.expected([D("EX02", [("connector_auth", "likely")], ruled_out=["dc_replication"])])

    # 014: red herring: an HTTP/ duplicate; the cause is EX01's clock 9 minutes behind.
    b = Bundle("014-red-herring-http-duplicate", "HTTP/ duplicate ignored; EX01 clock behind")
    base(b)
    good_clocks(b, skip=("EX01",))
    stripchart(b, "EX01", "DC01", -540)
    write_queues(b, {"EX01": [queue("EX01", "EX02", error=SEED_454, n=1),
                              queue("EX01", "EX03", error=SEED_454, n=2)]})
    setspn_x(b, "DC01", [("HTTP/mail.contoso.com", ["CN=EX01,OU=Exchange Servers,DC=contoso,DC=com",
                                                    "CN=svc-web,OU=Service,DC=contoso,DC=com"])])
    b.expected([D("EX01", [("clock_skew", "likely")], ruled_out=["spn_duplicate"])])

    # 015: red herring: a custom connector whose ranges do not cover the senders; SPN missing.
    b = Bundle("015-red-herring-connector-not-covering", "custom connector for 192.168.50.0/24")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02", port=25))
    connectors(b, "EX02", [custom_connector("EX02", "Printers EX02", 25, ["192.168.50.0/24"])])
    spn_views(b, drop=("SmtpSvc/EX02", "SmtpSvc/ex02.contoso.com"))
    healthy_repl(b)
    b.expected([D("EX02", [("spn_missing", "likely")], ruled_out=["connector_auth", "clock_skew"])])

    # 016: a queue to the internet fails on DNS: out of scope, reported not dropped.
    b = Bundle("016-dns-out-of-scope", "DNS failure toward fabrikam.com")
    base(b, hosts=("EX01", "EX02"))
    get_queue(b, "EX01", [queue("EX01", "fabrikam.com", error=DNS_FAIL, shape="plain", n=1),
                          healthy("EX01", "EX02", 2)])
    b.expected([D("fabrikam.com", [("out_of_scope", "confirmed")])])

    # 017: missing data: only Exchange servers collected, clocks fine: DC causes not checked.
    b = Bundle("017-missing-dc-evidence", "no DC folder: replication not checked, not ruled out")
    base(b, hosts=("EX01", "EX02", "EX03"))
    for h in ("EX01", "EX02", "EX03"):
        stripchart(b, h, "DC01", 0.3)
    write_queues(b, all_to("EX02"))
    b.expected([D("EX02", [("unexplained", "possible")],
                  not_checked=["dc_replication", "spn_missing", "spn_duplicate"],
                  ruled_out=["clock_skew"])])

    # 018: stale evidence: EX02's own folder is 3 days old; the skew reading cannot confirm.
    b = Bundle("018-stale-evidence", "EX02's stripchart is 3 days old")
    base(b)
    b.host("EX02", collected_at="2026-11-23T10:00:00Z")
    good_clocks(b, skip=("EX02",))
    stripchart(b, "EX02", "DC01", 450)
    write_queues(b, all_to("EX02"))
    events(b, "DC01", "security", [security_4769("DC01", "EX01", "EX02$", "0x25", 700)])
    b.expected([D("EX02", [("clock_skew", "likely")])])

    # 019: EX03 cannot reach DC01 or DC02 on TCP 88 (firewall) while EX01 can; NETLOGON 5719.
    b = Bundle("019-kerberos-ports-blocked-confirmed", "EX03 blocked on TCP 88 to its DCs")
    base(b)
    good_clocks(b)
    write_queues(b, {"EX03": [queue("EX03", "EX01", error=SEED_454, n=1),
                              queue("EX03", "EX02", error=SEED_454, n=2)]})
    probes(b, "EX03", [("DC01", "udp", "answered"), ("DC01", "tcp", "timed_out"),
                       ("DC02", "udp", "answered"), ("DC02", "tcp", "timed_out")])
    probes(b, "EX01", [("DC01", "udp", "answered"), ("DC01", "tcp", "answered"),
                       ("DC02", "udp", "answered"), ("DC02", "tcp", "answered")])
    events(b, "EX03", "system", [event("NETLOGON", 5719, fqdn("EX03"), [
        ("", "CONTOSO"), ("", "%%1311")], 800, named=False)])
    b.expected([D("EX03", [("kerberos_ports_blocked", "confirmed")], ruled_out=["clock_skew"],
                  pattern="sender_side")])

    # 020: EX01's probes to DC01 are refused on TCP and UDP 88; nobody else was probed.
    b = Bundle("020-kerberos-ports-blocked-likely", "EX01 refused on 88, no other probes")
    base(b)
    good_clocks(b)
    write_queues(b, {"EX01": [queue("EX01", "EX02", error=SEED_454, n=1),
                              queue("EX01", "EX03", error=SEED_454, n=2)]})
    probes(b, "EX01", [("DC01", "udp", "refused"), ("DC01", "tcp", "refused"),
                       ("DC01", "udp", "refused", 464), ("DC01", "tcp", "refused", 464)])
    # Issue 16: the summary names every blocked port, not just "TCP 88".
    b.expected([D("EX01", [("kerberos_ports_blocked", "likely")],
                  summary_contains="DC01 on TCP and UDP 88, TCP and UDP 464")])

    # 021: no PDC emulator in the bundle. EX02 syncs from DC02 (its authenticating DC) and is
    # 7m12s ahead of it: judged against DC02, not the fleet median (DESIGN.md §3).
    b = Bundle("021-clock-skew-authenticating-dc", "no PDC known; EX02 7m12s ahead of DC02")
    for h in ("DC01", "DC02", "EX01", "EX02", "EX03"):
        b.host(h, pdc=False)
    for h in ("DC02", "EX01", "EX03"):
        stripchart(b, h, "DC01", 0.2)
    stripchart(b, "EX02", "DC02", 432)
    w32tm_status(b, "EX02", "DC02")
    w32tm_status(b, "EX01", "DC01")
    write_queues(b, all_to("EX02"))
    b.expected([D("EX02", [("clock_skew", "likely")], pattern="target_side",
                  summary_contains="EX02 is 7m12s ahead of its authenticating DC DC02")])

    # 022: DC02 runs 10 minutes ahead of the PDC emulator and EX02, which syncs from it, follows
    # it (a little further still). EX02's clock is off, but the DC it follows is what to fix.
    b = Bundle("022-clock-skew-member-follows-its-dc", "DC02 10m ahead, EX02 follows it")
    base(b)
    good_clocks(b, skip=("DC02", "EX02"))
    stripchart(b, "DC02", "DC01", 600.1)
    stripchart(b, "EX02", "DC01", 600.3)
    w32tm_status(b, "EX02", "DC02")
    write_queues(b, all_to("EX02"))
    b.expected([D("DC02", [("clock_skew", "likely")],
                  summary_contains="DC02 is 10m ahead of the PDC emulator DC01 (limit 5m); EX02 is +10m00.299s too (it syncs from DC02)")])

    # 023: each clock within the limit of the PDC emulator, EX01 2m40s behind and EX02 3m20s
    # ahead: 6m apart, so EX02 rejects EX01's authenticators. EX03 (on time) delivers to EX02.
    b = Bundle("023-clock-skew-legs-apart", "EX01 -160 s, EX02 +200 s: 6 minutes apart")
    base(b)
    good_clocks(b, skip=("EX01", "EX02"))
    stripchart(b, "EX01", "DC01", -160)
    stripchart(b, "EX02", "DC01", 200)
    write_queues(b, {"EX01": [queue("EX01", "EX02", error=SEED_454, n=1)]})
    b.expected([D("EX02", [("clock_skew", "likely")], pattern="pair_only",
                  summary_contains="EX01 and EX02 are 6m apart")])

    # 024: DC02 is 6 minutes ahead and EX02 syncs from it, but EX02 is 45 minutes ahead: that is
    # EX02's own clock, not DC02's doing.
    b = Bundle("024-clock-skew-member-off-on-its-own", "DC02 +6m, EX02 +45m on its own")
    base(b)
    good_clocks(b, skip=("DC02", "EX02"))
    stripchart(b, "DC02", "DC01", 360)
    stripchart(b, "EX02", "DC01", 2700)
    w32tm_status(b, "EX02", "DC02")
    write_queues(b, all_to("EX02"))
    b.expected([D("EX02", [("clock_skew", "likely")], pattern="target_side",
                  summary_contains="EX02 is 45m ahead of the PDC emulator DC01")])

    # 025 (issue 12): only a listing in an Exchange server's folder (the collection script runs
    # setspn -L everywhere; which DC answered is unknown) lacks SMTPSVC/EX02: a lead, not more.
    b = Bundle("025-spn-listing-not-from-a-dc", "EX03's setspn -L EX02 lacks SMTPSVC, no DC view")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02"))
    setspn_l(b, "EX03", "EX02", exchange_spns("EX02", ("SmtpSvc/EX02", "SmtpSvc/ex02.contoso.com")))
    b.expected([D("EX02", [("spn_missing", "possible")],
                  summary_contains="only in listings from hosts that are not DCs")])

    # 026 (issue 12): DC01's view and the KDC say SMTPSVC/EX02 is missing; a listing in EX03's
    # folder shows it. Not "the DCs disagree": EX03 is no DC, and the KDC's answer outranks it.
    b = Bundle("026-kdc-answer-outranks-listing", "KDC principal unknown over a listing with the SPN")
    base(b, hosts=("DC01", "EX01", "EX02", "EX03"))
    good_clocks(b)
    write_queues(b, all_to("EX02"))
    setspn_l(b, "DC01", "EX02", exchange_spns("EX02", ("SmtpSvc/EX02", "SmtpSvc/ex02.contoso.com")))
    setspn_l(b, "EX03", "EX02", exchange_spns("EX02"))
    probes(b, "EX01", [("DC01", "udp", "answered")], tickets=[{
        "peer": "ex02.contoso.com", "service_principal": "SMTPSVC/ex02.contoso.com@CONTOSO.COM",
        "client_principal": "EX01$@CONTOSO.COM", "ok": False, "kvno": None, "enctype": None,
        "enctype_name": "", "krb_error_code": 7, "krb_error_name": "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        "error_message": "Server not found in Kerberos database", "failed_step": "service_ticket",
        "kdc": "10.1.1.1:88", "latency_seconds": 0.002}])
    b.expected([D("EX02", [("spn_missing", "confirmed")],
                  summary_contains="the KDC's answer outranks the listing from EX03 (not a DC)")])


    # ---- next hops that are no host (issue 16; DESIGN.md §3) --------------------------------
    # Exchange 2010 hubs relay inside their AD site through one queue named "hub version 14"
    # (DeliveryType SmtpRelayWithinAdSite); the LastError is the KB's plain text, naming no
    # server. Exchange 2013+ names the server it tried in LastError ({FQDN=};{IP=}), which wins
    # over the next hop's candidates. Sources: Exchange 2010 Suspend-Queue (DeliveryType values),
    # Exchange 2013/2016/2019 "Queues" (NextHopSolutionKey), "Mail routing" (delivery groups).
    ex2010 = dict(exchange_version="Version 14.3 (Build 123.4)",
                  server_roles=["Mailbox", "ClientAccess", "HubTransport"])
    ex2016 = dict(exchange_version="15.1.2507.6", server_roles=["Mailbox"])

    # 027: the issue's first case. EX01 and EX02 are the hubs of HQ, EX03 is in BRANCH; EX01's
    # "hub version 14" queue can only be EX02, whose SMTPSVC SPNs are gone (both DCs' listings)
    # and DC01 answered EX01's ticket request for SMTPSVC/ex02 with 0x7.
    b = Bundle("027-hub-version-14-spn-missing", "Exchange 2010 intra-site queue, SPN missing")
    exchange_org(b, ex2010)
    good_clocks(b)
    get_queue(b, "EX01", [hop_queue("EX01", 7, "hub version 14", "SmtpRelayWithinAdSite",
                                    error=KB_454),
                          hop_queue("EX01", 8, "BRANCH", "SmtpRelayToRemoteAdSite",
                                    status="Active")])
    get_queue(b, "EX02", [hop_queue("EX02", 3, "BRANCH", "SmtpRelayToRemoteAdSite",
                                    status="Active")])
    spn_views(b, drop=("SmtpSvc/EX02", "SmtpSvc/ex02.contoso.com"))
    healthy_repl(b)
    events(b, "DC01", "security", [
        security_4769("DC01", "EX01", "SMTPSVC/ex02.contoso.com", "0x7", 700),
        security_4769("DC01", "EX01", "SMTPSVC/ex02.contoso.com", "0x7", 701)])
    b.expected([D("EX02", [("spn_missing", "confirmed")], ruled_out=["clock_skew"],
                  next_hop="EX02")])

    # 028: the second case: "451 5.7.3 Cannot achieve Exchange Server authentication"
    # on a "hub version 14" queue; EX02, the only other hub of HQ, has a custom relay connector
    # on port 25 whose range covers EX01 and which lacks ExchangeServer (KB 979175).
    b = Bundle("028-hub-version-14-connector", "Exchange 2010 intra-site queue, 5.7.3, relay connector")
    exchange_org(b, ex2010)
    good_clocks(b)
    get_queue(b, "EX01", [hop_queue("EX01", 4, "hub version 14", "SmtpRelayWithinAdSite",
                                    error=KB_573, ps51=True)])
    connectors_2010(b, "EX02", [custom_connector("EX02", "Relay EX02", 25, ["10.1.1.0/24"],
                                                 role="HubTransport")])
    b.expected([D("EX02", [("connector_auth", "confirmed")], next_hop="EX02")])

    # 029: Exchange 2016, EX01 (HQ) to the mailbox delivery group of BRANCH (EX03 and EX04):
    # LastError names EX04, which is 7 minutes ahead; EX03, the other candidate, lacks its SPNs
    # and is not blamed for a queue that never tried it. EX04's own queues point at a delivery
    # group and are healthy: not "unknown".
    b = Bundle("029-delivery-group-fqdn-wins", "Exchange 2016 site delivery group, LastError names EX04")
    exchange_org(b, ex2016, hosts=("EX01", "EX02", "EX03", "EX04"), branch=("EX03", "EX04"))
    good_clocks(b)
    stripchart(b, "EX04", "DC01", 420)
    get_queue(b, "EX01", [hop_queue("EX01", 11, "site:branch; version:15",
                                    "SmtpRelayToMailboxDeliveryGroup", error=SEED_454.format(
                                        ip=ip("EX04"), port=2525), tried="EX04")])
    get_queue(b, "EX04", [hop_queue("EX04", 2, "site:hq; version:15",
                                    "SmtpRelayToMailboxDeliveryGroup", status="Active")])
    spn_views(b, target="EX03", drop=("SmtpSvc/EX03", "SmtpSvc/ex03.contoso.com"))
    b.expected([D("EX04", [("clock_skew", "likely")],
                  pattern_contains="EX04's own queues are not stuck")])

    # 030: Exchange 2010, EX01 (HQ) to the AD site BRANCH (SmtpRelayToRemoteAdSite), whose only
    # hub EX03 runs 7 minutes ahead; DC01 refused EX01's tickets for it with KRB_AP_ERR_SKEW.
    b = Bundle("030-remote-ad-site-clock-skew", "Exchange 2010 queue to AD site BRANCH, EX03 ahead")
    exchange_org(b, ex2010)
    good_clocks(b, skip=("EX03",))
    stripchart(b, "EX03", "DC01", 425)
    get_queue(b, "EX01", [hop_queue("EX01", 5, "BRANCH", "SmtpRelayToRemoteAdSite",
                                    error=KB_454)])
    events(b, "DC01", "security", [security_4769("DC01", "EX01", "EX03$", "0x25", 800)])
    b.expected([D("EX03", [("clock_skew", "confirmed")], next_hop="EX03")])

    # 031: Exchange 2019 DAG1 = EX02 (HQ) + EX03 (BRANCH); EX01 is no member and relays to the
    # DAG (SmtpRelayToDag); LastError names EX03, whose SPNs are gone; EX02 is healthy.
    b = Bundle("031-dag-member-spn-missing", "Exchange 2019 queue to DAG1, member EX03 lacks SPNs")
    ex2019 = dict(exchange_version="15.2.1118.7", server_roles=["Mailbox"])
    exchange_org(b, ex2019, dags={"EX02": "DAG1", "EX03": "DAG1"})
    good_clocks(b)
    get_queue(b, "EX01", [hop_queue("EX01", 9, "DAG1", "SmtpRelayToDag",
                                    error=SEED_454.format(ip=ip("EX03"), port=2525),
                                    tried="EX03")])
    spn_views(b, target="EX03", drop=("SmtpSvc/EX03", "SmtpSvc/ex03.contoso.com"))
    events(b, "DC01", "security", [
        security_4769("DC01", "EX01", "SMTPSVC/ex03.contoso.com", "0x7", 900)])
    b.expected([D("EX03", [("spn_missing", "confirmed")])])

    # 032: Exchange 2010, HQ has three hubs: EX01's "hub version 14" queue could be EX02 or
    # EX03. No event or probe names either; EX03's SMTPSVC SPNs are gone on both DCs, EX02's are
    # intact. Each candidate is judged: EX03 is blamed, and both are said to be candidates.
    b = Bundle("032-candidates-one-broken", "hub version 14 with two candidate hubs, one broken")
    exchange_org(b, ex2010, branch=())
    good_clocks(b)
    get_queue(b, "EX01", [hop_queue("EX01", 6, "hub version 14", "SmtpRelayWithinAdSite",
                                    error=KB_454)])
    spn_views(b, target="EX02")
    spn_views(b, target="EX03", drop=("SmtpSvc/EX03", "SmtpSvc/ex03.contoso.com"))
    healthy_repl(b)
    b.expected([D("EX03", [("spn_missing", "likely")], pattern_contains="could be any of EX02, EX03",
                  next_hop="EX02, EX03")])

    # 033: as 032, but EX02 is also 7 minutes ahead, and DC01 logged EX01's ticket request for
    # SMTPSVC/ex03 failing with 0x7: the evidence names EX03 as the server tried, so EX02's
    # clock (a real fault, but not of this queue) is not blamed for it.
    b = Bundle("033-candidate-named-by-kdc", "hub version 14, the KDC event names EX03")
    exchange_org(b, ex2010, branch=())
    good_clocks(b, skip=("EX02",))
    stripchart(b, "EX02", "DC01", 420)
    get_queue(b, "EX01", [hop_queue("EX01", 6, "hub version 14", "SmtpRelayWithinAdSite",
                                    error=KB_454)])
    spn_views(b, target="EX02")
    spn_views(b, target="EX03", drop=("SmtpSvc/EX03", "SmtpSvc/ex03.contoso.com"))
    healthy_repl(b)
    events(b, "DC01", "security", [
        security_4769("DC01", "EX01", "SMTPSVC/ex03.contoso.com", "0x7", 950)])
    b.expected([D("EX03", [("spn_missing", "confirmed")], next_hop="EX03")])

    # 034: an Exchange 2010 hub takes server-to-server mail on port 25 ("Default EX02"), which
    # offers Exchange Server authentication; a custom connector on 2525 that lacks it is never
    # reached by a 2010 sender (2525 is the 2013+ Transport service's port). Nothing else is
    # wrong: unexplained, with the connector ruled out on the port Exchange 2010 uses.
    b = Bundle("034-hub-version-14-port-25", "Exchange 2010 target: a 2525 connector is not its intra-org one")
    exchange_org(b, ex2010)
    good_clocks(b)
    get_queue(b, "EX01", [hop_queue("EX01", 4, "hub version 14", "SmtpRelayWithinAdSite",
                                    error=KB_454)])
    connectors_2010(b, "EX02", [custom_connector("EX02", "Scanners 2525", 2525, ["10.1.1.0/24"],
                                                 role="HubTransport")])
    spn_views(b)
    healthy_repl(b)
    b.expected([D("EX02", [("unexplained", "possible")], ruled_out=["connector_auth", "spn_missing"],
                  next_hop="EX02")])


    # 035: what the lab's Samba DCs show for a duplicate (tests/lab/org_faults_test.sh): both DC
    # agents' directory reads list SMTPSVC/ex02.contoso.com on EX02$ and on the service account
    # svc-relay, and the KDC refuses the ambiguous SPN (KDC_ERR_S_PRINCIPAL_UNKNOWN to the ticket
    # probe) although every DC serves it on EX02$: a duplicate, not a missing SPN.
    b = Bundle("035-spn-duplicate-directory-read", "DC agents see SMTPSVC/EX02 on two accounts")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02"))
    for dc in ("DC01", "DC02"):
        computer_accounts(b, dc, [
            ("EX01$", "CN=EX01,CN=Computers,DC=contoso,DC=com", exchange_spns("EX01"), 2),
            ("EX02$", "CN=EX02,CN=Computers,DC=contoso,DC=com", exchange_spns("EX02"), 2),
            ("EX03$", "CN=EX03,CN=Computers,DC=contoso,DC=com", exchange_spns("EX03"), 2),
            ("svc-relay", "CN=svc-relay,CN=Users,DC=contoso,DC=com",
             ["SMTPSVC/ex02.contoso.com"], 1)])
    healthy_repl(b)
    probes(b, "EX01", [("DC01", "tcp", "answered")],
           tickets=[ticket_unknown("EX01", "SMTPSVC/ex02.contoso.com")])
    # spn_missing stays a lead ("possible"): a DC without an agent could be the one refusing.
    b.expected([D("EX02", [("spn_duplicate", "confirmed"), ("spn_missing", "possible")],
                  summary_contains="also on CN=svc-relay,CN=Users,DC=contoso,DC=com")])

    # 036: both DC agents' directory reads show EX02$ without its SMTPSVC SPNs and the KDC says
    # the principal is unknown: missing, confirmed by the directory and the KDC together.
    b = Bundle("036-spn-missing-directory-read", "DC agents see EX02$ without SMTPSVC SPNs")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02"))
    for dc in ("DC01", "DC02"):
        computer_accounts(b, dc, [
            ("EX01$", "CN=EX01,CN=Computers,DC=contoso,DC=com", exchange_spns("EX01"), 2),
            ("EX02$", "CN=EX02,CN=Computers,DC=contoso,DC=com", ["HOST/EX02", "HOST/ex02.contoso.com"], 2)])
    healthy_repl(b)
    probes(b, "EX01", [("DC01", "tcp", "answered")],
           tickets=[ticket_unknown("EX01", "SMTPSVC/ex02.contoso.com")])
    b.expected([D("EX02", [("spn_missing", "confirmed")],
                  ruled_out=["spn_duplicate", "dc_replication"])])


    # 037: EX01's TCP probes to DC01 connect but the KDC says nothing before the deadline (a busy
    # DC, seen in the lab): the port is open, so the ports are not blocked.
    b = Bundle("037-kdc-connected-but-silent", "TCP 88 to DC01 connects, the KDC is slow")
    base(b)
    good_clocks(b)
    write_queues(b, all_to("EX02", senders=("EX01",)))
    spn_views(b)
    healthy_repl(b)
    probes(b, "EX01", [("DC01", "tcp", "timed_out"), ("DC01", "udp", "answered")],
           connected_silent=True)
    b.expected([D("EX02", [("unexplained", "possible")], ruled_out=["kerberos_ports_blocked"])])


if __name__ == "__main__":
    main()
