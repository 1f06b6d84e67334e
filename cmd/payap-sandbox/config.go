package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/payap/payap-sandbox/internal/sandbox"
)

// envPrefix prefixes every environment variable: PAYAP_SANDBOX_PROVIDER_PORT
// sets provider.port.
const envPrefix = "PAYAP_SANDBOX"

// flagKeys maps the command-line flags to config keys. Only the settings
// people change often have flags; every key can be set in the environment
// or the config file.
var flagKeys = []struct {
	flag, key, usage string
}{
	{"host", "host", "address every service binds to"},
	{"seed", "seed", "seed for the generated data (0 = random)"},
	{"headless", "headless", "run without the terminal UI, logging to stdout"},
	{"log-level", "log.level", "debug, info, warn or error"},
	{"log-format", "log.format", "text or json"},
	{"clock-start", "clock.start", "RFC 3339 time the sandbox clock starts at"},
	{"provider-port", "provider.port", "mock provider port (0 = any free port)"},
	{"provider-base-url", "provider.base_url", "mock provider public URL (issuer), when behind a proxy"},
	{"payap-port", "payap.port", "mock Payap port"},
	{"payap-base-url", "payap.base_url", "mock Payap public URL (its /callback is the redirect URI)"},
	{"payap-provider-url", "payap.provider.base_url", "point the mock Payap at another provider (its issuer URL) instead of the built-in one"},
	{"payap-return-url", "payap.return_url", "front-end URL the OAuth callback redirects to with the outcome (default: answer JSON)"},
	{"centrapay-port", "centrapay.port", "mock Centrapay port"},
	{"centrapay-base-url", "centrapay.base_url", "mock Centrapay public URL"},
	{"access-token-ttl", "provider.access_token_ttl", "provider access token lifetime, e.g. 3600s"},
	{"code-ttl", "provider.code_ttl", "provider authorization code lifetime, at most 10m"},
	{"state", "state", "state snapshot file: restored at start if it exists, written on shutdown"},
	{"scenario", "scenario", "scenario file to load and activate at start; reloaded when it changes"},
}

// newFlagSet declares the flags with the defaults shown in --help.
func newFlagSet(def sandbox.Config) *pflag.FlagSet {
	fs := pflag.NewFlagSet("payap-sandbox", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringP("config", "c", "", "config file (YAML, JSON or TOML); default $XDG_CONFIG_HOME/payap-sandbox/config.yaml if present")
	defaults := map[string]any{}
	walkKeys(reflect.ValueOf(def), "", func(key string, v reflect.Value) { defaults[key] = v.Interface() })
	for _, f := range flagKeys {
		switch d := defaults[f.key].(type) {
		case string:
			fs.String(f.flag, d, f.usage)
		case int:
			fs.Int(f.flag, d, f.usage)
		case int64:
			fs.Int64(f.flag, d, f.usage)
		case bool:
			fs.Bool(f.flag, d, f.usage)
		default:
			fs.String(f.flag, fmt.Sprint(d), f.usage)
		}
	}
	return fs
}

// loadConfig fills a Config from, in order of precedence, flags, the
// environment, the config file and the defaults.
func loadConfig(fs *pflag.FlagSet, getenv func(string) string) (sandbox.Config, error) {
	v := viper.New()

	// SetDefault for every key, so that every key is known to viper.
	def := sandbox.DefaultConfig()
	walkKeys(reflect.ValueOf(def), "", func(key string, val reflect.Value) { v.SetDefault(key, val.Interface()) })

	changed := map[string]bool{}
	for _, f := range flagKeys {
		if err := v.BindPFlag(f.key, fs.Lookup(f.flag)); err != nil {
			return sandbox.Config{}, err
		}
		changed[f.key] = fs.Changed(f.flag)
	}

	// The environment is read through getenv (not viper's AutomaticEnv, which
	// reads os.Getenv and leaves every value a string that the strict decoder
	// below refuses for ints and bools). A value is typed like the key's
	// default and set unless a flag on the command line beats it.
	var envErrs []error
	walkKeys(reflect.ValueOf(def), "", func(key string, val reflect.Value) {
		name := envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		raw := getenv(name)
		if raw == "" || changed[key] {
			return
		}
		typed, err := parseEnv(raw, val)
		if err != nil {
			envErrs = append(envErrs, fmt.Errorf("%s (%s): %w", name, key, err))
			return
		}
		v.Set(key, typed)
	})
	if err := errors.Join(envErrs...); err != nil {
		return sandbox.Config{}, fmt.Errorf("config: %w", err)
	}

	path, _ := fs.GetString("config")
	if path == "" {
		path = getenv(envPrefix + "_CONFIG")
	}
	explicit := path != ""
	if !explicit {
		if dir := xdgConfigHome(getenv); dir != "" {
			candidate := filepath.Join(dir, "payap-sandbox", "config.yaml")
			if _, err := os.Stat(candidate); err == nil {
				path = candidate
			}
		}
	}
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return sandbox.Config{}, fmt.Errorf("read config file %s: %w", path, err)
		}
	}

	var cfg sandbox.Config
	err := v.UnmarshalExact(&cfg, func(dc *mapstructure.DecoderConfig) { dc.WeaklyTypedInput = false })
	if err != nil {
		return sandbox.Config{}, fmt.Errorf("config: %w", errors.Unwrap(err))
	}
	return cfg, nil
}

// parseEnv converts an environment value to the type of the key's default.
func parseEnv(raw string, def reflect.Value) (any, error) {
	if def.Type() == reflect.TypeOf(time.Duration(0)) {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration such as 60s or 5m", raw)
		}
		return d, nil
	}
	switch def.Kind() {
	case reflect.String:
		return raw, nil
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", raw)
		}
		return b, nil
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", raw)
		}
		if def.Kind() == reflect.Int {
			return int(n), nil
		}
		return n, nil
	}
	if def.Kind() == reflect.Slice && def.Type().Elem().Kind() == reflect.String {
		var out []string
		for _, part := range strings.Split(raw, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		return out, nil
	}
	return nil, errors.New("can be set only in the config file")
}

func xdgConfigHome(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config")
	}
	return ""
}

// walkKeys calls fn for every leaf key of a config struct, named as viper
// names it (mapstructure tags joined by dots, squashed structs flattened).
// Slices of structs (the provider's clients) are leaves.
func walkKeys(v reflect.Value, prefix string, fn func(key string, v reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		if opts == "squash" {
			walkKeys(fv, prefix, fn)
			continue
		}
		key := prefix + name
		if f.Type.Kind() == reflect.Struct && f.Type.String() != "time.Time" {
			walkKeys(fv, key+".", fn)
			continue
		}
		fn(key, fv)
	}
}
