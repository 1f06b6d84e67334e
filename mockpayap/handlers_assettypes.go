package mockpayap

import (
	"context"
	"errors"
	"net/http"

	"github.com/payap/payap-sandbox/internal/httpx"
)

func (p *payap) handleListAssetTypes(w http.ResponseWriter, r *http.Request, u User) {
	httpx.WriteJSON(w, http.StatusOK, list[AssetType]{Items: p.store.AssetTypes()})
}

func (p *payap) handleGetAssetType(w http.ResponseWriter, r *http.Request, u User) {
	name := pathVar(r, "name")
	at, ok := p.store.AssetType(name)
	if !ok {
		writeError(w, newError(http.StatusNotFound, "asset_type_not_found", "no asset type "+name+" is registered; GET /api/asset-types lists them"))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, at)
}

// handleRegisterAssetType registers a provider's asset type, as the guide's
// one-off registration does. The provider's metadata is discovered first,
// so a registration that could never connect is refused at once.
func (p *payap) handleRegisterAssetType(w http.ResponseWriter, r *http.Request, u User) {
	var req struct {
		Name            string `json:"name"`
		Description     string `json:"description"`
		ProviderBaseURL string `json:"providerBaseUrl"`
		ClientID        string `json:"clientId"`
		ClientSecret    string `json:"clientSecret"`
		AuthMethod      string `json:"authMethod"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	for _, f := range []struct{ name, v string }{{"name", req.Name}, {"description", req.Description}, {"providerBaseUrl", req.ProviderBaseURL}, {"clientId", req.ClientID}} {
		if e := required(f.name, f.v); e != nil {
			writeError(w, e)
			return
		}
	}
	pc := ProviderConfig{Name: req.Name, Description: req.Description, BaseURL: req.ProviderBaseURL, ClientID: req.ClientID, ClientSecret: req.ClientSecret, AuthMethod: req.AuthMethod}
	if err := pc.validate("body"); err != nil {
		writeError(w, newError(http.StatusBadRequest, "invalid_asset_type", err.Error()))
		return
	}
	if _, exists := p.store.AssetType(pc.Name); exists {
		writeError(w, newError(http.StatusConflict, "asset_type_exists", "an asset type named "+pc.Name+" is already registered; names are unique"))
		return
	}
	at := AssetType{Name: pc.Name, Description: pc.Description, ProviderURL: pc.BaseURL, ClientID: pc.ClientID, ClientSecret: pc.ClientSecret, AuthMethod: pc.authMethod()}
	ctx, cancel := context.WithTimeout(r.Context(), p.cfg.ProviderTimeout)
	defer cancel()
	if _, err := p.disco.get(ctx, at.ProviderURL); err != nil {
		writeError(w, providerUnavailable(at, err))
		return
	}
	if err := p.store.PutAssetType(at); err != nil {
		if errors.Is(err, ErrExists) {
			writeError(w, newError(http.StatusConflict, "asset_type_exists", "an asset type named "+pc.Name+" is already registered; names are unique"))
			return
		}
		writeError(w, newError(http.StatusBadRequest, "invalid_asset_type", err.Error()))
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, at)
}
