// Package scim is the SCIM 2.0 transport for identity providers (Okta,
// Microsoft Entra ID). This part holds what every SCIM handler stands on:
// the middleware that turns an organization's bearer token (issued by
// internal/scimtoken, stored only as SHA-256) into a SCIM viewer confined to
// its organization, and the one function that maps domain errors to the SCIM
// error schema. The /scim/v2 resource handlers (github.com/elimity-com/scim)
// come with the provisioning work and call the same domain operations as
// GraphQL.
package scim
