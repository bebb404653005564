package report

// htmlTemplate is the page of the HTML format. Layout by nested tables and
// CSS in style attributes only, as e-mail clients require; html/template
// escapes every value by context. Element ids (verdict, changes, matrix,
// failures, errors, waived) are stable for tests and for links.
const htmlTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="generator" content="tmsdrift">
<title>tmsdrift: {{.Title}} — {{.Verdict}}</title>
</head>
<body style="margin:0;padding:0;background:#f4f5f7;color:#1f2328;font-family:'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;background:#f4f5f7;">
<tr><td style="padding:16px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:1100px;margin:0 auto;border-collapse:collapse;background:#ffffff;border:1px solid #d0d7de;">
<tr><td style="padding:20px 24px;">

<h1 style="margin:0 0 4px 0;font-size:20px;font-weight:bold;">tmsdrift: {{.Title}}</h1>
<p style="margin:0;color:#57606a;font-size:12px;">Audit from {{.Started}} to {{.Finished}} (UTC)</p>

<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:16px 0;border-collapse:collapse;">
<tr><td id="verdict" style="{{.VerdictBox}}padding:14px 18px;font-size:20px;font-weight:bold;">{{.Verdict}}</td></tr>
<tr><td id="counts" style="padding:8px 18px;background:#f6f8fa;border:1px solid #d0d7de;">{{.Counts.Fail}} fail · {{.Counts.Error}} error · {{.Counts.Waived}} waived · {{.Counts.Pass}} pass — {{.ExitNote}}</td></tr>
</table>
{{- if .Notes}}

<table role="presentation" id="notes" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 16px 0;border-collapse:collapse;">
{{- range .Notes}}
<tr><td style="padding:8px 14px;background:#fff8c5;border-left:4px solid #bf8700;">{{range prose .}}{{if .Code}}<code style="font-family:Consolas,'Courier New',monospace;">{{.Text}}</code>{{else}}{{.Text}}{{end}}{{end}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- with .Changes}}

<h2 id="changes" style="margin:20px 0 8px 0;font-size:16px;font-weight:bold;">Since the previous run</h2>
{{- if .FirstRun}}
<p style="margin:0 0 12px 0;">This is the first run: there is no earlier report to compare with ({{.Summary}}).</p>
{{- else}}
<p style="margin:0 0 12px 0;">Compared with the run of {{.Since}}: <strong>{{.Summary}}</strong>{{if .Verdict}}; verdict {{.Verdict}}{{end}}.</p>
{{- range .Groups}}
<table width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 12px 0;border-collapse:collapse;border:1px solid #d0d7de;">
<tr><th colspan="5" align="left" style="{{.Style}}padding:6px 10px;text-align:left;">{{.Title}}</th></tr>
<tr style="background:#f6f8fa;color:#57606a;font-size:12px;"><th align="left" style="padding:4px 10px;text-align:left;">Rule</th><th align="left" style="padding:4px 10px;text-align:left;">Node</th><th align="left" style="padding:4px 10px;text-align:left;">Status</th><th align="left" style="padding:4px 10px;text-align:left;">First seen</th><th align="left" style="padding:4px 10px;text-align:left;">Observed / message</th></tr>
{{- range .Items}}
<tr><td style="padding:4px 10px;border-top:1px solid #d0d7de;font-family:Consolas,'Courier New',monospace;">{{if .Anchor}}<a href="#{{.Anchor}}" style="color:#0550ae;">{{.Rule}}</a>{{else}}{{.Rule}}{{end}}</td><td style="padding:4px 10px;border-top:1px solid #d0d7de;">{{.Node}}</td><td style="padding:4px 10px;border-top:1px solid #d0d7de;white-space:nowrap;">{{.Status}}</td><td style="padding:4px 10px;border-top:1px solid #d0d7de;white-space:nowrap;">{{.FirstSeen}}</td><td style="padding:4px 10px;border-top:1px solid #d0d7de;">{{.Text}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- end}}
{{- end}}

<h2 id="matrix" style="margin:20px 0 8px 0;font-size:16px;font-weight:bold;">Rules × nodes</h2>
{{- if .Matrix.Rows}}
<table width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;border:1px solid #d0d7de;font-size:13px;">
<tr style="background:#f6f8fa;"><th align="left" style="padding:6px 8px;text-align:left;border:1px solid #d0d7de;">Rule</th><th align="left" style="padding:6px 8px;text-align:left;border:1px solid #d0d7de;">Severity</th>
{{- range .Matrix.Columns}}<th align="center" style="padding:6px 8px;text-align:center;border:1px solid #d0d7de;">{{.}}</th>{{end}}</tr>
{{- range .Matrix.Rows}}
<tr><td style="padding:4px 8px;border:1px solid #d0d7de;"><span style="font-family:Consolas,'Courier New',monospace;">{{.Rule}}</span><br><span style="color:#57606a;font-size:12px;">{{.Title}}</span></td><td style="padding:4px 8px;border:1px solid #d0d7de;">{{.Severity}}</td>
{{- range .Cells}}<td align="center" title="{{.Title}}" style="{{.Style}}padding:4px 8px;text-align:center;border:1px solid #d0d7de;white-space:nowrap;">{{if .Anchor}}<a href="#{{.Anchor}}" style="color:inherit;">{{.Text}}</a>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{- end}}
</table>
{{- if .Matrix.Hidden}}
<p style="margin:6px 0 0 0;color:#57606a;font-size:12px;">{{.Matrix.Hidden}} more nodes on which every result passed are not shown.</p>
{{- end}}
{{- else}}
<p style="margin:0;">No results: no rule of the catalogue applies to this deployment.</p>
{{- end}}
{{- if .Failures}}

<h2 id="failures" style="margin:24px 0 8px 0;font-size:16px;font-weight:bold;">Failures ({{len .Failures}})</h2>
{{- range .Failures}}{{template "item" .}}{{end}}
{{- end}}
{{- if .Errors}}

<h2 id="errors" style="margin:24px 0 8px 0;font-size:16px;font-weight:bold;">Could not check ({{len .Errors}})</h2>
<p style="margin:0 0 8px 0;">{{.ErrAdvice}}</p>
{{- range .Errors}}{{template "item" .}}{{end}}
{{- end}}
{{- if .Waived}}

<h2 id="waived" style="margin:24px 0 8px 0;font-size:16px;font-weight:bold;">Waived ({{len .Waived}})</h2>
{{- range .Waived}}{{template "item" .}}{{end}}
{{- end}}

<p style="margin:24px 0 0 0;color:#57606a;font-size:12px;">Written by tmsdrift ({{.Schema}}). Secrets never appear in this report: machineKeys show as sha256 fingerprints.</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
{{define "item"}}
<table id="{{.Anchor}}" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 14px 0;border-collapse:collapse;border:1px solid #d0d7de;">
<tr><th colspan="2" align="left" style="padding:8px 10px;text-align:left;background:#f6f8fa;border-bottom:1px solid #d0d7de;">{{.Title}} <span style="font-family:Consolas,'Courier New',monospace;font-weight:normal;">({{.Rule}})</span> — {{.Node}} <span style="font-weight:normal;color:#57606a;">· {{.Severity}}</span>{{if .New}} <span style="background:#9b0018;color:#ffffff;padding:1px 6px;font-size:12px;">new since the previous run</span>{{end}}{{if eq .Baseline "new"}} <span class="baseline" style="background:#9b0018;color:#ffffff;padding:1px 6px;font-size:12px;">new: not in the baseline</span>{{else if eq .Baseline "known"}} <span class="baseline" style="background:#eaeef2;color:#1f2328;padding:1px 6px;font-size:12px;">known: already in the baseline</span>{{end}}</th></tr>
{{- if .Expected}}
<tr><td width="120" valign="top" style="padding:4px 10px;color:#57606a;">Expected</td><td class="expected" style="padding:4px 10px;font-family:Consolas,'Courier New',monospace;">{{range $i, $l := lines .Expected}}{{if $i}}<br>{{end}}{{$l}}{{end}}</td></tr>
{{- end}}
{{- if .Observed}}
<tr><td width="120" valign="top" style="padding:4px 10px;color:#57606a;">Observed</td><td class="observed" style="padding:4px 10px;font-family:Consolas,'Courier New',monospace;">{{range $i, $l := lines .Observed}}{{if $i}}<br>{{end}}{{$l}}{{end}}</td></tr>
{{- end}}
{{- if .Message}}
<tr><td width="120" valign="top" style="padding:4px 10px;color:#57606a;">Message</td><td class="message" style="padding:4px 10px;">{{range $i, $l := lines .Message}}{{if $i}}<br>{{end}}{{$l}}{{end}}</td></tr>
{{- end}}
{{- if .Remediation}}
<tr><td width="120" valign="top" style="padding:4px 10px;color:#57606a;">What to do</td><td class="remediation" style="padding:4px 10px;">{{range prose .Remediation}}{{if .Code}}<code style="font-family:Consolas,'Courier New',monospace;background:#f6f8fa;">{{.Text}}</code>{{else}}{{.Text}}{{end}}{{end}}</td></tr>
{{- end}}
{{- if .Fix}}
<tr><td width="120" valign="top" style="padding:4px 10px;color:#57606a;">Fix</td><td style="padding:4px 10px;"><code style="font-family:Consolas,'Courier New',monospace;background:#f6f8fa;">{{.Fix}}</code> (shows the plan; add --apply to write)</td></tr>
{{- end}}
{{- if .Source}}
<tr><td width="120" valign="top" style="padding:4px 10px;color:#57606a;">Guide</td><td class="guide" style="padding:4px 10px;">“{{.Source}}”{{if .Doc}}, {{.Doc}}{{end}} ({{.SourceStatus}})</td></tr>
{{- end}}
<tr><td width="120" valign="top" style="padding:4px 10px;color:#57606a;">Details</td><td style="padding:4px 10px;"><code style="font-family:Consolas,'Courier New',monospace;background:#f6f8fa;">{{.Explain}}</code></td></tr>
</table>
{{- end}}`
