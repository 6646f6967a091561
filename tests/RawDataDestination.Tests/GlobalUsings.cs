// Namespaces most test files use, written once here instead of at the top of each file.
global using System.Collections.Concurrent;
global using System.Diagnostics;
global using System.Globalization;
global using System.IO.Compression;
global using System.Net;
global using System.Text;
global using System.Text.Json;
global using System.Text.RegularExpressions;
global using Amazon.Runtime;
global using Amazon.S3;
global using Amazon.S3.Model;
global using Amazon.SecurityToken;
global using Amazon.SecurityToken.Model;
global using Microsoft.Extensions.Configuration;
global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Logging;
global using Microsoft.Extensions.Time.Testing;
global using NUnit.Framework;
global using RawDataDestination.Aws;
global using RawDataDestination.Batching;
global using RawDataDestination.Internal;
global using RawDataDestination.KafkaToS3;
global using RawDataDestination.LocalPeers.Aws;
global using RawDataDestination.Ndjson;
global using RawDataDestination.Routing;
global using RawDataDestination.S3;
global using RawDataDestination.Spool;
global using RawDataDestination.Staging;
global using RawDataDestination.Sts;
global using RawDataDestination.Tests.Support;

// The buffer, spool and telemetry tests' clock start, await bound and events (Start, Bound, Event).
global using static RawDataDestination.Tests.Support.TestEvents;

// Amazon.S3.Model has a type of the same name; the tests mean the library's.
global using ObjectEncryption = RawDataDestination.S3.ObjectEncryption;
