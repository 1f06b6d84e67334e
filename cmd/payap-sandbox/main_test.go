package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/payap/payap-sandbox/internal/sandbox"
)

// env is an injected environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// newTestMain returns a Main with the given environment (nothing from the
// process's, so no real config file is picked up) and buffers for output.
func newTestMain(e env) (*Main, *syncBuffer, *syncBuffer) {
	m := NewMain()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	m.Stdout, m.Stderr = stdout, stderr
	m.Getenv = e.get
	return m, stdout, stderr
}

// syncBuffer is a bytes.Buffer safe to write from Run's goroutines while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeFile writes a config file into dir and returns its path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const fileConfig = `
seed: 7
log:
  level: warn
provider:
  port: 9001
  access_token_ttl: 10m
`

func TestParseFlagsPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "sandbox.yaml", fileConfig)
	xdg := filepath.Join(dir, "xdg")
	writeFile(t, xdg, "payap-sandbox/config.yaml", "seed: 8\n")
	home := filepath.Join(dir, "home")
	writeFile(t, home, ".config/payap-sandbox/config.yaml", "seed: 9\n")
	other := writeFile(t, dir, "other.json", `{"seed": 10}`)

	type want struct {
		port  int
		level string
		seed  int64
		ttl   time.Duration
	}
	def := sandbox.DefaultConfig()
	defaults := want{def.Provider.Port, def.Log.Level, def.Seed, def.Provider.AccessTokenTTL}
	for _, tc := range []struct {
		name string
		args []string
		env  env
		want want
	}{
		{"defaults", nil, env{}, defaults},
		{"file beats default", []string{"--config", file}, env{}, want{9001, "warn", 7, 10 * time.Minute}},
		{"env beats file", []string{"--config", file},
			env{"PAYAP_SANDBOX_PROVIDER_PORT": "9002", "PAYAP_SANDBOX_LOG_LEVEL": "error", "PAYAP_SANDBOX_PROVIDER_ACCESS_TOKEN_TTL": "90s"},
			want{9002, "error", 7, 90 * time.Second}},
		{"flag beats env", []string{"--config", file, "--provider-port", "9003", "--access-token-ttl", "2m"},
			env{"PAYAP_SANDBOX_PROVIDER_PORT": "9002", "PAYAP_SANDBOX_LOG_LEVEL": "error", "PAYAP_SANDBOX_PROVIDER_ACCESS_TOKEN_TTL": "90s"},
			want{9003, "error", 7, 2 * time.Minute}},
		{"flag beats default", []string{"--provider-port=0", "--log-level", "debug", "--seed", "5"}, env{},
			want{0, "debug", 5, time.Hour}},
		{"flag set to its default still beats env", []string{"--provider-port", "8401"}, env{"PAYAP_SANDBOX_PROVIDER_PORT": "9002"},
			want{8401, "info", 42, time.Hour}},
		{"env beats default", nil, env{"PAYAP_SANDBOX_PROVIDER_PORT": "0", "PAYAP_SANDBOX_SEED": "11"},
			want{0, "info", 11, time.Hour}},
		{"empty env is unset", []string{"--config", file}, env{"PAYAP_SANDBOX_PROVIDER_PORT": ""}, want{9001, "warn", 7, 10 * time.Minute}},
		{"config file from PAYAP_SANDBOX_CONFIG", nil, env{"PAYAP_SANDBOX_CONFIG": file}, want{9001, "warn", 7, 10 * time.Minute}},
		{"--config beats PAYAP_SANDBOX_CONFIG", []string{"-c", other}, env{"PAYAP_SANDBOX_CONFIG": file}, want{8401, "info", 10, time.Hour}},
		{"config file from XDG_CONFIG_HOME", nil, env{"XDG_CONFIG_HOME": xdg, "HOME": home}, want{8401, "info", 8, time.Hour}},
		{"config file from HOME/.config", nil, env{"HOME": home}, want{8401, "info", 9, time.Hour}},
		{"explicit file beats the XDG one", []string{"--config", file}, env{"XDG_CONFIG_HOME": xdg}, want{9001, "warn", 7, 10 * time.Minute}},
		{"serve command", []string{"serve", "--seed", "3"}, env{}, want{8401, "info", 3, time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, _ := newTestMain(tc.env)
			if err := m.ParseFlags(context.Background(), tc.args); err != nil {
				t.Fatalf("ParseFlags(%q) = %v", tc.args, err)
			}
			got := want{m.Config.Provider.Port, m.Config.Log.Level, m.Config.Seed, m.Config.Provider.AccessTokenTTL}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestParseFlagsEnvTypes: every kind of key can be set from the environment.
func TestParseFlagsEnvTypes(t *testing.T) {
	m, _, _ := newTestMain(env{
		"PAYAP_SANDBOX_HEADLESS":                     "true",
		"PAYAP_SANDBOX_SHUTDOWN_TIMEOUT":             "3s",
		"PAYAP_SANDBOX_JOURNAL_CAPACITY":             "10",
		"PAYAP_SANDBOX_JOURNAL_MAX_BODY_BYTES":       "512",
		"PAYAP_SANDBOX_PROVIDER_REQUIRE_STATE":       "1",
		"PAYAP_SANDBOX_PROVIDER_REFRESH_REUSE_GRACE": "2s",
		"PAYAP_SANDBOX_PROVIDER_BASE_URL":            "https://provider.example.test/",
		"PAYAP_SANDBOX_CLOCK_START":                  "2026-01-01T09:00:00Z",
		"PAYAP_SANDBOX_LOG_FORMAT":                   "json",
		"PAYAP_SANDBOX_CENTRAPAY_PORT":               "0",
	})
	if err := m.ParseFlags(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	c := m.Config
	if !c.Headless || c.ShutdownTimeout != 3*time.Second || c.Journal.Capacity != 10 || c.Journal.MaxBodyBytes != 512 ||
		!c.Provider.RequireState || c.Provider.RefreshReuseGrace != 2*time.Second || c.Clock.Start != "2026-01-01T09:00:00Z" ||
		c.Log.Format != "json" || c.Centrapay.Port != 0 {
		t.Fatalf("config %+v", c)
	}
	if c.Provider.BaseURL != "https://provider.example.test" {
		t.Fatalf("provider.base_url = %q, want it canonical", c.Provider.BaseURL)
	}
}

// TestParseFlagsIgnoresTheProcessEnvironment: with Getenv injected, the
// process's own PAYAP_SANDBOX_* variables do not leak in.
func TestParseFlagsIgnoresTheProcessEnvironment(t *testing.T) {
	t.Setenv("PAYAP_SANDBOX_PROVIDER_PORT", "1234")
	t.Setenv("PAYAP_SANDBOX_SEED", "not a number")
	m, _, _ := newTestMain(env{})
	if err := m.ParseFlags(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if m.Config.Provider.Port != sandbox.DefaultProviderPort || m.Config.Seed != sandbox.DefaultSeed {
		t.Fatalf("the process environment leaked in: port %d seed %d", m.Config.Provider.Port, m.Config.Seed)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string { return writeFile(t, dir, name, body) }
	for _, tc := range []struct {
		name string
		args []string
		env  env
		want []string // every one must appear in the error
	}{
		{"unknown key in the file", []string{"--config", file("unknown.yaml", "bogus: 1\n")}, nil, []string{"bogus"}},
		{"misspelt nested key in the file", []string{"--config", file("misspelt.yaml", "provider:\n  acces_token_ttl: 1m\n")}, nil, []string{"acces_token_ttl"}},
		{"wrong type in the file", []string{"--config", file("type.yaml", "seed: lots\n")}, nil, []string{"seed"}},
		{"bad duration in the file", []string{"--config", file("dur.yaml", "shutdown_timeout: soon\n")}, nil, []string{"shutdown_timeout"}},
		{"invalid value in the file", []string{"--config", file("port.yaml", "provider:\n  port: 70000\n")}, nil, []string{"provider.port"}},
		{"bad client in the file", []string{"--config", file("clients.yaml", "provider:\n  clients:\n    - id: x\n      auth_method: none\n      redirect_uris: [http://example.test/cb]\n")}, nil, []string{"provider.clients[0].redirect_uris"}},
		{"unreadable file", []string{"--config", filepath.Join(dir, "missing.yaml")}, nil, []string{"read config file", "missing.yaml"}},
		{"invalid flag value", []string{"--log-level", "loud"}, nil, []string{"log.level"}},
		{"invalid duration flag", []string{"--code-ttl", "1h"}, nil, []string{"provider.code_ttl"}},
		{"unparseable duration flag", []string{"--access-token-ttl", "soon"}, nil, []string{"provider.access_token_ttl"}},
		{"unparseable int flag", []string{"--provider-port", "x"}, nil, []string{`invalid argument "x" for "--provider-port"`}},
		{"unknown flag", []string{"--nope"}, nil, []string{"unknown flag: --nope"}},
		{"several problems at once", []string{"--log-level", "loud", "--log-format", "xml", "--host", "example.test"}, nil, []string{"log.level", "log.format", "host"}},
		{"bad env integer", nil, env{"PAYAP_SANDBOX_PROVIDER_PORT": "abc"}, []string{"PAYAP_SANDBOX_PROVIDER_PORT", "provider.port", `"abc"`}},
		{"bad env bool", nil, env{"PAYAP_SANDBOX_HEADLESS": "maybe"}, []string{"PAYAP_SANDBOX_HEADLESS", "headless"}},
		{"bad env duration", nil, env{"PAYAP_SANDBOX_PROVIDER_ACCESS_TOKEN_TTL": "60"}, []string{"provider.access_token_ttl"}},
		{"clients from env", nil, env{"PAYAP_SANDBOX_PROVIDER_CLIENTS": "x"}, []string{"provider.clients", "config file"}},
		{"invalid env value", nil, env{"PAYAP_SANDBOX_JOURNAL_CAPACITY": "0"}, []string{"journal.capacity"}},
		{"unknown command", []string{"launch"}, nil, []string{`unknown command "launch"`, "help"}},
		{"unexpected argument", []string{"serve", "extra"}, nil, []string{`unexpected argument "extra"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, _ := newTestMain(tc.env)
			before := m.Config
			err := m.ParseFlags(context.Background(), tc.args)
			if err == nil {
				t.Fatalf("ParseFlags(%q) = nil, want an error", tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if errors.Is(err, pflag.ErrHelp) {
				t.Errorf("error %v is ErrHelp", err)
			}
			if fmt.Sprint(m.Config) != fmt.Sprint(before) {
				t.Errorf("a failed ParseFlags changed m.Config")
			}
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"serve", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			m, stdout, stderr := newTestMain(env{})
			err := m.ParseFlags(context.Background(), args)
			if !errors.Is(err, pflag.ErrHelp) {
				t.Fatalf("ParseFlags(%q) = %v, want pflag.ErrHelp", args, err)
			}
			for _, want := range []string{"Usage:", "--provider-port", "PAYAP_SANDBOX_PROVIDER_PORT", "(default 8401)"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("help does not show %q:\n%s", want, stderr)
				}
			}
			if stdout.String() != "" {
				t.Errorf("help wrote to stdout: %q", stdout)
			}
		})
	}
}

// freePortArgs puts every service on a port the OS chooses.
var freePortArgs = []string{"--provider-port", "0", "--payap-port", "0", "--centrapay-port", "0"}

// TestMainRun runs the program in-process: every port on :0, metadata served,
// then a cancelled context stops it cleanly.
func TestMainRun(t *testing.T) {
	m, stdout, _ := newTestMain(env{})
	if err := m.ParseFlags(context.Background(), freePortArgs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case err := <-runErr:
		t.Fatalf("Run returned before it was ready: %v", err)
	}

	p, ok := m.Sandbox.Service(sandbox.ServiceProvider)
	if !ok {
		t.Fatal("no provider running")
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(p.BaseURL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Issuer string `json:"issuer"`
	}
	err = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || md.Issuer != p.BaseURL {
		t.Fatalf("metadata: %d issuer %q (%v), want 200 and %q", resp.StatusCode, md.Issuer, err, p.BaseURL)
	}

	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	out := stdout.String()
	for _, want := range []string{"Payap Sandbox is running", p.BaseURL, "msg=\"service listening\"", "msg=request", "msg=\"shutting down\"", "msg=stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout does not show %s:\n%s", want, out)
		}
	}
	if conn, err := net.Dial("tcp", p.Addr); err == nil {
		conn.Close()
		t.Error("the provider still accepts connections after Run returned")
	}
}

func TestMainRunPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	m, _, _ := newTestMain(env{})
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := m.ParseFlags(context.Background(), []string{"--provider-port", port, "--payap-port", "0", "--centrapay-port", "0"}); err != nil {
		t.Fatal(err)
	}
	err = m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--provider-port") {
		t.Fatalf("Run = %v, want an error naming --provider-port", err)
	}
	select {
	case <-m.Ready():
		t.Fatal("Ready is closed although nothing started")
	default:
	}
}

// The binary tests build the command once.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// mustBinary builds payap-sandbox into a temporary directory once.
func mustBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		binDir, buildErr = os.MkdirTemp("", "payap-sandbox-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "payap-sandbox")
		out, err := exec.Command(goTool, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// command prepares the binary with an environment free of PAYAP_SANDBOX_*
// variables and of any real config file.
func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(mustBinary(t), args...)
	home := t.TempDir()
	cmd.Env = []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home, "PATH=" + os.Getenv("PATH")}
	return cmd
}

var bannerProvider = regexp.MustCompile(`^\s+provider\s+(http://127\.0\.0\.1:\d+)\s*$`)

func TestBinaryServesAndStopsOnSIGTERM(t *testing.T) {
	mustBinary(t)
	for _, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		{"ports from flags", freePortArgs, nil},
		// As the usage text suggests: PAYAP_SANDBOX_PROVIDER_PORT=0.
		{"ports from the environment", nil, []string{"PAYAP_SANDBOX_PROVIDER_PORT=0", "PAYAP_SANDBOX_PAYAP_PORT=0", "PAYAP_SANDBOX_CENTRAPAY_PORT=0", "PAYAP_SANDBOX_HEADLESS=true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := command(t, tc.args...)
			cmd.Env = append(cmd.Env, tc.env...)
			serveAndStop(t, cmd)
		})
	}
}

// serveAndStop starts cmd with stdout piped, reads stdout until the banner
// shows the provider URL, fetches the metadata, sends SIGTERM and requires
// exit code 0 and a stopped log line.
func serveAndStop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	stdout, err := cmd.StdoutPipe() // a pipe, not a terminal: headless logs
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	t.Cleanup(func() {
		if !exited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var seen []string
	var base string
	for base == "" {
		line, ok := <-lines
		if !ok {
			t.Fatalf("stdout closed before the banner showed the provider URL:\n%s\nstderr:\n%s", strings.Join(seen, "\n"), stderr.String())
		}
		seen = append(seen, line)
		if m := bannerProvider.FindStringSubmatch(line); m != nil {
			base = m[1]
		}
	}

	tr := &http.Transport{DisableKeepAlives: true}
	resp, err := (&http.Client{Transport: tr}).Get(base + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"issuer":"`+base+`"`) {
		t.Fatalf("metadata: %d %s", resp.StatusCode, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for line := range lines {
		seen = append(seen, line)
	}
	err = cmd.Wait()
	exited = true
	out := strings.Join(seen, "\n")
	if err != nil {
		t.Fatalf("exit: %v, want code 0\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	if cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("exit code %d, want 0", cmd.ProcessState.ExitCode())
	}
	if !regexp.MustCompile(`(?m)level=INFO msg=stopped$`).MatchString(out) {
		t.Fatalf("no stopped log line:\n%s", out)
	}
	if stderr.String() != "" {
		t.Errorf("stderr is not empty: %s", stderr.String())
	}
}

func TestBinaryExitCodes(t *testing.T) {
	mustBinary(t)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"bad flag value", []string{"--provider-port", "eighty"}, 2, []string{"payap-sandbox:", `invalid argument "eighty" for "--provider-port" flag`}},
		{"invalid setting", []string{"--log-level", "loud"}, 2, []string{"payap-sandbox: invalid configuration", "log.level"}},
		{"unknown command", []string{"launch"}, 2, []string{`unknown command "launch"`}},
		{"help", []string{"help"}, 0, []string{"Usage:", "--provider-port"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := command(t, tc.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			if got := cmd.ProcessState.ExitCode(); got != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", got, tc.code, stderr.String())
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout is not empty: %s", stdout.String())
			}
		})
	}
}
