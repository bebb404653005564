"""Drive the WinRM stand-in with pywinrm (Debian's python3-winrm 0.3.0),
an independent WS-Management client, and print what it read as JSON.

Usage: pywinrm_check.py JSON-CONFIG (a file): url, transport (basic, ntlm,
kerberos), user, password, ca (PEM or null), commands ([[cmd, [args]]]),
ps (scripts for run_ps), stdin_commands ([[cmd, [args], stdin as base64]]:
commands fed standard input, as tmsdrift's collector and write-file are),
faults (true: probe unknown shell/command and the operation timeout), spn
(kerberos).

For Kerberos over HTTP, pywinrm seals messages through
requests_kerberos's wrap_winrm/unwrap_winrm, which need pykerberos >= 1.2
(authGSSWinRMEncryptMessage); Debian 12 ships 1.1.14 without it. The
MitKerberosAuth below provides the same two methods on MIT's GSS-API
(python3-gssapi: gss_wrap_iov with HEADER, DATA and PADDING buffers, the
call pykerberos makes), so pywinrm's own MS-WSMV framing (its
winrm/encryption.py) runs unchanged over MIT's sealing.
"""
import base64
import json
import sys

import requests
import winrm
import xmltodict
from winrm.exceptions import WinRMOperationTimeoutError, WinRMTransportError, WinRMError


class MitKerberosAuth(requests.auth.AuthBase):
    def __init__(self, user, password, spn):
        import gssapi
        self.gssapi = gssapi
        name = gssapi.Name(user, gssapi.NameType.user)
        creds = gssapi.raw.acquire_cred_with_password(name, password.encode(), usage='initiate').creds
        flags = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.out_of_sequence_detection |
                 gssapi.RequirementFlag.confidentiality | gssapi.RequirementFlag.integrity)
        self.ctx = gssapi.SecurityContext(name=gssapi.Name(spn, gssapi.NameType.hostbased_service), creds=creds,
                                          usage='initiate', mech=gssapi.MechType.kerberos, flags=flags)
        self.done = False

    def __call__(self, r):
        if not self.done:
            r.headers['Authorization'] = 'Negotiate ' + base64.b64encode(self.ctx.step()).decode()
            r.register_hook('response', self.handle)
        return r

    def handle(self, resp, **kwargs):
        if not self.done and resp.status_code == 200:
            scheme, tok = resp.headers['WWW-Authenticate'].split(' ', 1)
            self.ctx.step(base64.b64decode(tok))
            if not self.ctx.complete:
                raise WinRMError('kerberos context not complete after the AP-REP')
            self.done = True
        return resp

    def wrap_winrm(self, host, message):
        from gssapi.raw import IOV, IOVBufferType, wrap_iov
        iov = IOV(IOVBufferType.header, message, IOVBufferType.padding, std_layout=False)
        wrap_iov(self.ctx, iov, confidential=True)
        return iov[1].value + (iov[2].value or b''), iov[0].value

    def unwrap_winrm(self, host, message, header):
        from gssapi.raw import IOV, IOVBufferType, unwrap_iov
        iov = IOV((IOVBufferType.header, False, header), message, std_layout=False)
        unwrap_iov(self.ctx, iov)
        return iov[1].value


def send_input(p, shell, command, data):
    """Feed a command's standard input and close it. pywinrm 0.3.0 has no
    send_command_input (0.4 added it); this builds the same rsp:Send
    message with pywinrm's own header, in pieces that fit its envelope."""
    step = 60000
    for i in range(0, max(len(data), 1), step):
        req = {'env:Envelope': p._get_soap_header(
            resource_uri='http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd',
            action='http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send',
            shell_id=shell)}
        stream = req['env:Envelope'].setdefault('env:Body', {}).setdefault('rsp:Send', {}).setdefault('rsp:Stream', {})
        stream['@Name'] = 'stdin'
        stream['@CommandId'] = command
        if i + step >= len(data):
            stream['@End'] = 'true'
        stream['#text'] = base64.b64encode(data[i:i + step]).decode()
        p.send_message(xmltodict.unparse(req))


def fault_text(e):
    text = str(e)
    if isinstance(e, WinRMTransportError):
        rt = e.response_text
        text += ' ' + (rt if isinstance(rt, str) else rt.decode(errors='replace'))
    return text


def session(cfg):
    kw = dict(auth=(cfg['user'], cfg['password']), transport=cfg['transport'])
    if cfg.get('ca'):
        kw.update(server_cert_validation='validate', ca_trust_path=cfg['ca'])
    if cfg['transport'] == 'kerberos':
        kw['auth'] = (cfg['user'], None)
    s = winrm.Session(cfg['url'], **kw)
    t = s.protocol.transport
    if cfg['transport'] == 'kerberos':
        t.build_session()
        t.session.auth = MitKerberosAuth(cfg['user'], cfg['password'], cfg['spn'])
        t.setup_encryption()
    return s


def main():
    cfg = json.load(open(sys.argv[1]))
    s = session(cfg)
    out = {'encrypted': s.protocol.transport.encryption is not None if s.protocol.transport.session else None}
    res = []
    for cmd, args in cfg.get('commands', []):
        r = s.run_cmd(cmd, args)
        res.append({'code': r.status_code, 'stdout': base64.b64encode(r.std_out).decode(), 'stderr': r.std_err.decode(errors='replace')})
    out['commands'] = res
    fed = []
    for cmd, args, stdin in cfg.get('stdin_commands', []):
        p = s.protocol
        shell = p.open_shell()
        cid = p.run_command(shell, cmd, args)
        send_input(p, shell, cid, base64.b64decode(stdin))
        std_out, std_err, code = p.get_command_output(shell, cid)
        p.cleanup_command(shell, cid)
        p.close_shell(shell)
        fed.append({'code': code, 'stdout': base64.b64encode(std_out).decode(), 'stderr': std_err.decode(errors='replace')})
    out['stdin_commands'] = fed
    ps = []
    for script in cfg.get('ps', []):
        r = s.run_ps(script)
        ps.append({'code': r.status_code, 'stdout': base64.b64encode(r.std_out).decode()})
    out['ps'] = ps
    out['encrypted'] = s.protocol.transport.encryption is not None
    if cfg.get('faults'):
        p = s.protocol
        f = {}
        try:
            p.get_command_output('00000000-0000-0000-0000-000000000000', 'X')
        except WinRMOperationTimeoutError:
            f['unknown_shell'] = 'timeout'
        except WinRMError as e:
            f['unknown_shell'] = fault_text(e)
        shell = p.open_shell()
        try:
            p.get_command_output(shell, 'B0B0B0B0-0000-0000-0000-000000000000')
        except WinRMOperationTimeoutError:
            f['unknown_command'] = 'timeout'
        except WinRMError as e:
            f['unknown_command'] = fault_text(e)
        # A command waiting for input that never comes: nothing to report
        # within the operation timeout.
        cmd = p.run_command(shell, cfg['waiting'][0], cfg['waiting'][1])
        try:
            p._raw_get_command_output(shell, cmd)
            f['waiting'] = 'answered'
        except WinRMOperationTimeoutError:
            f['waiting'] = 'timeout'
        p.cleanup_command(shell, cmd)
        p.close_shell(shell)
        out['faults'] = f
    print(json.dumps(out))


if __name__ == '__main__':
    try:
        main()
    except WinRMError as e:
        print(json.dumps({'error': '%s: %s' % (type(e).__name__, fault_text(e))}))
    except Exception as e:  # the Go test reads the message
        print(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))
