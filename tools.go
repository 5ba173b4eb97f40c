//go:build tools

// This file pins the library's dependencies while packages are being written.
package tenantkit

import (
	_ "github.com/MicahParks/keyfunc/v3"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	_ "github.com/aws/aws-sdk-go-v2/service/sts"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/hashicorp/golang-lru/v2"
	_ "github.com/modelcontextprotocol/go-sdk/mcp"
	_ "github.com/stretchr/testify/require"
	_ "go.opentelemetry.io/otel"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "go.opentelemetry.io/otel/trace"
	_ "golang.org/x/sync/singleflight"
)
