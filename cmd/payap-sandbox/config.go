package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

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
	{"payap-base-url", "payap.base_url", "mock Payap public URL"},
	{"centrapay-port", "centrapay.port", "mock Centrapay port"},
	{"centrapay-base-url", "centrapay.base_url", "mock Centrapay public URL"},
	{"access-token-ttl", "provider.access_token_ttl", "provider access token lifetime, e.g. 3600s"},
	{"code-ttl", "provider.code_ttl", "provider authorization code lifetime, at most 10m"},
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
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()

	// SetDefault for every key, so that environment variables reach keys
	// that no file or flag mentions (viper#761).
	def := sandbox.DefaultConfig()
	walkKeys(reflect.ValueOf(def), "", func(key string, val reflect.Value) { v.SetDefault(key, val.Interface()) })

	for _, f := range flagKeys {
		if err := v.BindPFlag(f.key, fs.Lookup(f.flag)); err != nil {
			return sandbox.Config{}, err
		}
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
