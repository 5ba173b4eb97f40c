package a2a_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/tenantkit/tenantkit/a2a"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// Agent 1 calls agent 2 on behalf of a tenant's user: the transport adds
// the tenant headers and a token exchanged (RFC 8693) for agent 2's
// audience, with agent 1's own client-credentials token as the actor.
func Example() {
	// Stand-in for the authorization server's token endpoint.
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") == "client_credentials" {
			fmt.Fprint(w, `{"access_token":"agent-1-own-token","token_type":"Bearer","expires_in":300}`)
			return
		}
		fmt.Printf("token exchange: subject=%s actor=%s audience=%s\n",
			r.PostForm.Get("subject_token"), r.PostForm.Get("actor_token"), r.PostForm.Get("audience"))
		fmt.Fprintf(w, `{"access_token":"delegated-for-%s","issued_token_type":%q,"token_type":"Bearer","expires_in":300}`,
			r.PostForm.Get("audience"), a2a.TokenTypeAccessToken)
	}))
	defer as.Close()
	agent2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("agent 2 got tenant=%s tier=%s authorization=%s\n",
			r.Header.Get("X-Tenant-ID"), r.Header.Get("X-Tenant-Tier"), r.Header.Get("Authorization"))
	}))
	defer agent2.Close()

	client, err := a2a.NewTokenClient(a2a.TokenClientConfig{
		TokenURL: as.URL + "/token", ClientID: "agent-1", ClientSecret: "agent-1-secret",
		InsecureAllowLoopbackHTTP: true, // loopback demo; real token endpoints are https
	})
	if err != nil {
		log.Fatal(err)
	}
	own, err := a2a.NewClientCredentialsSource(client, a2a.ClientCredentialsConfig{}) // the agent's own token
	if err != nil {
		log.Fatal(err)
	}
	exchange, err := a2a.NewExchangeSource(client, a2a.ExchangeSourceConfig{Actor: own}) // user's token → act-on-behalf token
	if err != nil {
		log.Fatal(err)
	}
	transport, err := a2a.NewTransport(a2a.Config{
		Destinations:              []a2a.Destination{{URL: agent2.URL, Audience: []string{"agent-2"}, TokenSource: exchange}},
		InsecureAllowLoopbackHTTP: true, // agent 2 listens on 127.0.0.1
	})
	if err != nil {
		log.Fatal(err)
	}
	httpClient := &http.Client{Transport: transport} // use with the ctx from tenantctx.Middleware

	// In a real agent the tenant comes from tenantctx.Middleware.
	tenant := (&tenantctx.Tenant{ID: "acme", Tier: "gold"}).WithToken("user-token", nil)
	req, _ := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), tenant), http.MethodGet, agent2.URL+"/tasks", nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	// Without a tenant in the context nothing is sent.
	_, err = httpClient.Get(agent2.URL + "/tasks")
	fmt.Println("no tenant:", errors.Is(err, tenantctx.ErrNoTenant))
	// And nothing goes to hosts that are not configured.
	req, _ = http.NewRequestWithContext(tenantctx.NewContext(context.Background(), tenant), http.MethodGet, "https://elsewhere.example/", nil)
	_, err = httpClient.Do(req)
	fmt.Println("unknown host:", errors.Is(err, a2a.ErrUnknownDestination))
	// Output:
	// token exchange: subject=user-token actor=agent-1-own-token audience=agent-2
	// agent 2 got tenant=acme tier=gold authorization=Bearer delegated-for-agent-2
	// no tenant: true
	// unknown host: true
}
