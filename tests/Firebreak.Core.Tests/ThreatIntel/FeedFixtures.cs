using System.Text;
using System.Text.Json.Nodes;

namespace Firebreak.Core.Tests.ThreatIntel;

/// <summary>Small feed documents written from the STIX 2.1 and MISP feed specifications.</summary>
internal static class FeedFixtures
{
    public const string TlpAmber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
    public const string Tlp2Red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
    public const string Tlp2Green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A bundle with supported, partly supported and unsupported objects.</summary>
    public const string Bundle = """
    {
      "type": "bundle",
      "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
      "objects": [
        {
          "type": "identity", "spec_version": "2.1", "id": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
          "created": "2026-01-20T10:00:00.000Z", "modified": "2026-01-20T10:00:00.000Z", "name": "Example CERT", "identity_class": "organization"
        },
        {
          "type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--2f9a7f47-6c3c-4c5a-9a69-0b7d2e1f0a11",
          "created": "2026-01-20T10:00:00.000Z", "definition_type": "tlp", "name": "TLP:GREEN", "definition": { "tlp": "green" }
        },
        {
          "type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
          "created": "2026-02-01T09:00:00.000Z", "modified": "2026-02-01T09:00:00.000Z",
          "name": "C2 servers", "description": "Command and control",
          "indicator_types": ["malicious-activity"], "labels": ["c2", "apt-example"], "confidence": 90,
          "pattern": "[ipv4-addr:value = '203.0.113.10'] OR [ipv4-addr:value = '198.51.100.0/24'] OR [domain-name:value = 'Evil.Example.COM']",
          "pattern_type": "stix", "pattern_version": "2.1", "valid_from": "2026-02-01T09:00:00Z",
          "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]
        },
        {
          "type": "indicator", "spec_version": "2.1", "id": "indicator--1f2b0b6c-5b55-4d0b-8a0a-4bb1b4f7f8a1",
          "created": "2026-02-01T09:00:00.000Z", "modified": "2026-02-01T09:00:00.000Z",
          "pattern": "[file:hashes.'SHA-256' = 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F' OR file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
          "pattern_type": "stix", "valid_from": "2026-02-01T09:00:00Z", "confidence": 40,
          "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]
        },
        {
          "type": "indicator", "spec_version": "2.1", "id": "indicator--4d1f3c8e-8f5a-4a4f-9d4e-2c6d1b9a7e31",
          "created": "2026-02-01T09:00:00.000Z", "modified": "2026-02-01T09:00:00.000Z",
          "pattern": "[url:value = 'HTTP://Phish.Example.net/login?next=%2F'] OR [email-addr:value = 'Attacker@Example.org']",
          "pattern_type": "stix", "valid_from": "2026-02-01T09:00:00Z", "valid_until": "2026-12-31T00:00:00Z",
          "object_marking_refs": ["marking-definition--2f9a7f47-6c3c-4c5a-9a69-0b7d2e1f0a11"]
        },
        {
          "type": "indicator", "spec_version": "2.1", "id": "indicator--9b3c1d4e-0f2a-4b6c-8d7e-5f1a2b3c4d5e",
          "created": "2026-02-01T09:00:00.000Z", "modified": "2026-02-01T09:00:00.000Z",
          "pattern": "[ipv4-addr:value = '192.0.2.1' AND network-traffic:dst_port = 443]",
          "pattern_type": "stix", "valid_from": "2026-02-01T09:00:00Z"
        },
        {
          "type": "indicator", "spec_version": "2.1", "id": "indicator--0c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f",
          "created": "2026-02-01T09:00:00.000Z", "modified": "2026-02-01T09:00:00.000Z",
          "pattern": "title:\"Suspicious\" and status:\"new\"", "pattern_type": "sigma", "valid_from": "2026-02-01T09:00:00Z"
        },
        {
          "type": "indicator", "spec_version": "2.1", "id": "indicator--7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
          "created": "2026-02-01T09:00:00.000Z", "modified": "2026-02-01T09:00:00.000Z",
          "pattern": "[ipv4-addr:value = '192.0.2.77'] WITHIN 300 SECONDS", "pattern_type": "stix", "valid_from": "2026-02-01T09:00:00Z"
        },
        {
          "type": "indicator", "spec_version": "2.1", "id": "indicator--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
          "created": "2026-02-01T09:00:00.000Z", "modified": "2026-02-01T09:00:00.000Z", "revoked": true,
          "pattern": "[ipv4-addr:value = '192.0.2.200']", "pattern_type": "stix", "valid_from": "2026-02-01T09:00:00Z"
        },
        {
          "type": "indicator", "spec_version": "2.1", "id": "indicator--3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
          "created": "2026-02-01T09:00:00.000Z", "modified": "2026-02-01T09:00:00.000Z",
          "pattern": "[ipv4-addr:value = 'not-an-address']", "pattern_type": "stix", "valid_from": "2026-02-01T09:00:00Z"
        },
        { "type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.18.0.5",
          "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"] },
        { "type": "file", "spec_version": "2.1", "id": "file--5e1b2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "name": "dropper.exe",
          "hashes": { "SHA-1": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12" } },
        {
          "type": "relationship", "spec_version": "2.1", "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
          "created": "2026-02-01T09:00:00.000Z", "modified": "2026-02-01T09:00:00.000Z", "relationship_type": "indicates",
          "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "target_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
        }
      ]
    }
    """;

    /// <summary>A MISP feed event with attributes, an object, to_ids off for one, and TLP tags.</summary>
    public const string MispEvent = """
    {
      "Event": {
        "uuid": "5f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b",
        "info": "Phishing campaign against cloud consoles",
        "date": "2026-02-10", "timestamp": "1770710400", "threat_level_id": "1", "analysis": "2",
        "Orgc": { "name": "Example CERT", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f" },
        "Tag": [ { "name": "tlp:green" }, { "name": "misp-galaxy:threat-actor=\"Example\"" } ],
        "Attribute": [
          { "uuid": "6a1b2c3d-0001-4e5f-8a9b-0c1d2e3f4a5b", "type": "ip-src", "category": "Network activity", "value": "203.0.113.77", "to_ids": true, "timestamp": "1770710400" },
          { "uuid": "6a1b2c3d-0002-4e5f-8a9b-0c1d2e3f4a5b", "type": "domain", "category": "Network activity", "value": "login-portal.example.net", "to_ids": true,
            "Tag": [ { "name": "tlp:amber" } ] },
          { "uuid": "6a1b2c3d-0003-4e5f-8a9b-0c1d2e3f4a5b", "type": "user-agent", "category": "Network activity", "value": "python-requests/2.31.0 evil", "to_ids": "1" },
          { "uuid": "6a1b2c3d-0004-4e5f-8a9b-0c1d2e3f4a5b", "type": "comment", "category": "Other", "value": "seen since January", "to_ids": false },
          { "uuid": "6a1b2c3d-0005-4e5f-8a9b-0c1d2e3f4a5b", "type": "vulnerability", "category": "External analysis", "value": "CVE-2026-0001", "to_ids": true },
          { "uuid": "6a1b2c3d-0006-4e5f-8a9b-0c1d2e3f4a5b", "type": "email-src", "category": "Payload delivery", "value": "billing@Example-Invoices.com", "to_ids": true }
        ],
        "Object": [
          {
            "name": "file", "uuid": "7b2c3d4e-0001-4f5a-9b0c-1d2e3f4a5b6c", "meta-category": "file",
            "Attribute": [
              { "uuid": "7b2c3d4e-0002-4f5a-9b0c-1d2e3f4a5b6c", "type": "filename|sha256", "object_relation": "filename",
                "value": "invoice.pdf.exe|9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", "to_ids": true },
              { "uuid": "7b2c3d4e-0003-4f5a-9b0c-1d2e3f4a5b6c", "type": "ip-dst|port", "object_relation": "ip", "value": "192.0.2.99|8443", "to_ids": true }
            ]
          }
        ]
      }
    }
    """;

    public static JsonObject Indicator(string id, string pattern, int? confidence = null, bool revoked = false, string? validUntil = null)
    {
        var o = new JsonObject
        {
            ["type"] = "indicator",
            ["spec_version"] = "2.1",
            ["id"] = id,
            ["created"] = "2026-02-01T00:00:00.000Z",
            ["modified"] = "2026-02-01T00:00:00.000Z",
            ["pattern"] = pattern,
            ["pattern_type"] = "stix",
            ["valid_from"] = "2026-01-01T00:00:00Z",
        };
        if (confidence is { } c) o["confidence"] = c;
        if (revoked) o["revoked"] = true;
        if (validUntil is not null) o["valid_until"] = validUntil;
        return o;
    }

    public static string IndicatorId(int n) => $"indicator--{n:D8}-0000-4000-8000-000000000000";
}
