/** The help text (`dist-verify --help`); docs/dist-verify.md says the same at length. */

export const USAGE = `Usage:
  dist-verify <version> [file…] [options]   verify a release's signed SHASUMS256.txt,
                                            and local files against it by name
  dist-verify <version> --download [--only <glob>]… [--out DIR]
                                            also fetch and hash its artifacts
  dist-verify watch [--newest N] [--lines 22,24] [--download --only <glob>…]
                                            the monitor's watched releases, for a schedule

Options:
  --download           stream each artifact through SHA-256 (written nowhere without --out)
  --only <glob>        with --download: only these files (repeatable; "*.msi", "win-x64/*")
  --out DIR            with --download: keep each verified file under DIR
  --dist-url <url>     the dist site (default https://nodejs.org/dist)
  --keys <file>        armored public keys that replace the trust set (like RELEASE_KEYS)
  --keys-url <tmpl>    where pinned release keys are fetched ({fingerprint} replaced)
  --log <url>          the monitor's URL: every verified hash must be in its transparency log
  --log-key <vkey>     the log's signed-note verifier key (required with --log)
  --json               print one JSON result object on stdout, nothing else
  --timeout <seconds>  per request (default 30; downloads get longer when large)
  --user-agent <text>  the User-Agent sent (default: Node's own)
  --newest N           watch: the N most recently published releases too (default 3)
  --lines <majors>     watch: the newest release of these majors (default: every supported line)
  -h, --help           this text;  --version  the tool's version

Exit codes: 0 verified; 1 verification failed (unsigned, unknown key, hash mismatch,
absent from the log, log inconsistent, …); 2 usage error, or a site, key source or log
that could not be reached (nothing was decided).

watch posts a Standard Webhooks alert on failure when ALERT_WEBHOOK_URLS and
ALERT_WEBHOOK_SECRET are set in the environment. See docs/dist-verify.md.`;
