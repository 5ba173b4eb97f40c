// Package oauthsyntax holds the character-class checks of the OAuth 2.0
// and bearer-token grammars that several tenantkit packages apply to
// untrusted tokens, so that they all accept exactly the same strings.
package oauthsyntax
