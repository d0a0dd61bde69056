using System.CommandLine;
using System.Globalization;
using Firebreak.Cli.Hosting;
using Firebreak.Cloud.Aws;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Cli.Commands;

/// <summary>
/// Operator commands: they open the database directly with the server's configuration, so they work
/// before anyone can sign in and need no API key.
/// </summary>
internal static class AdminCommands
{
    private static readonly string[] RoleNames = [.. Enum.GetValues<Role>().Select(r => r.Name())];

    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var admin = catalog.Create("admin",
            "Operator tasks run on the server's machine against its database: the first administrator, users and API keys, and protecting a stored cloud secret.",
            "firebreak admin bootstrap --tenant Acme --email admin@acme.example");
        admin.Add(Bootstrap(context, catalog));
        admin.Add(CreateUser(context, catalog));
        admin.Add(CreateApiKey(context, catalog));
        admin.Add(RevokeApiKey(context, catalog));
        admin.Add(ProtectAwsSecret(context, catalog));
        return admin;
    }

    private static Command Bootstrap(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("bootstrap",
            "Create the first tenant and its administrator, and print the administrator's generated password once. Refused (exit 2) when users already exist.",
            "firebreak admin bootstrap",
            "firebreak admin bootstrap --tenant Acme --email admin@acme.example");
        var tenant = new Option<string>("--tenant") { Description = "Name of the first tenant.", DefaultValueFactory = _ => "Default", HelpName = "NAME" };
        var email = new Option<string>("--email") { Description = "E-mail address the administrator signs in with.", DefaultValueFactory = _ => "admin@firebreak.local", HelpName = "EMAIL" };
        command.Add(tenant);
        command.Add(email);
        var host = new HostArguments();
        host.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => WithAdminAsync(context, host, parseResult, cancellationToken, async service =>
        {
            BootstrapResult result;
            try
            {
                result = await service.BootstrapAsync(parseResult.GetValue(tenant)!, parseResult.GetValue(email)!, cancellationToken);
            }
            catch (ConflictException e)
            {
                throw new CliException(ExitCodes.Usage, e.Message);
            }
            var output = context.Output;
            output.WriteLine("Firebreak is bootstrapped.");
            output.WriteLine($"  Tenant:   {result.TenantName} ({result.TenantId})");
            output.WriteLine($"  Email:    {result.Email}");
            output.WriteLine($"  Password: {result.Password}");
            output.WriteLine("This password is shown only once: store it in a password manager now, then sign in.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateUser(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("create-user",
            "Create a user in a tenant. Without --password a strong one is generated and printed once.",
            "firebreak admin create-user --email ana@acme.example --name \"Ana Silva\" --role responder",
            "firebreak admin create-user --email lee@acme.example --name Lee --role incident-manager --tenant acme");
        var email = new Option<string>("--email") { Description = "E-mail address the user signs in with.", Required = true, HelpName = "EMAIL" };
        var name = new Option<string>("--name") { Description = "Display name.", Required = true, HelpName = "NAME" };
        var role = RoleOption();
        var tenant = TenantOption();
        var password = new Option<string?>("--password")
        {
            Description = "Initial password. Prefer leaving it out: a generated one never lands in shell history.",
            HelpName = "PASSWORD",
        };
        command.Add(email);
        command.Add(name);
        command.Add(role);
        command.Add(tenant);
        command.Add(password);
        var host = new HostArguments();
        host.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => WithAdminAsync(context, host, parseResult, cancellationToken, async service =>
        {
            var chosen = parseResult.GetValue(password);
            var (user, secret) = await service.CreateUserAsync(parseResult.GetValue(tenant) ?? "", parseResult.GetValue(email)!,
                parseResult.GetValue(name)!, ParseRole(parseResult.GetValue(role)), chosen, cancellationToken);
            var output = context.Output;
            output.WriteLine($"Created user {user.Email} ({user.DisplayName}, {user.Role.Name()}) with id {user.Id}.");
            if (string.IsNullOrEmpty(chosen))
            {
                output.WriteLine($"  Password: {secret}");
                output.WriteLine("This password is shown only once: hand it over securely.");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateApiKey(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("create-api-key",
            "Create an API key for tools and scripts, and print the key once.",
            "firebreak admin create-api-key --name ci-pipeline --role responder",
            "firebreak admin create-api-key --name soar --role incident-manager --tenant acme --expires 2027-06-30");
        var name = new Option<string>("--name") { Description = "What the key is for; shown in the key list and audit trail.", Required = true, HelpName = "NAME" };
        var role = RoleOption();
        var tenant = TenantOption();
        var expires = new Option<DateTimeOffset?>("--expires")
        {
            Description = "Expiry date or time (ISO 8601, UTC unless an offset is given), e.g. 2027-06-30.",
            HelpName = "DATE",
            CustomParser = result =>
            {
                var text = result.Tokens.Single().Value;
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)) return value;
                result.AddError($"--expires: '{text}' is not a date such as 2027-06-30 or 2027-06-30T12:00:00Z.");
                return null;
            },
        };
        command.Add(name);
        command.Add(role);
        command.Add(tenant);
        command.Add(expires);
        var host = new HostArguments();
        host.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => WithAdminAsync(context, host, parseResult, cancellationToken, async service =>
        {
            var created = await service.CreateApiKeyAsync(parseResult.GetValue(tenant) ?? "", parseResult.GetValue(name)!,
                ParseRole(parseResult.GetValue(role)), parseResult.GetValue(expires), cancellationToken);
            var output = context.Output;
            var key = created.Key;
            output.WriteLine($"Created API key '{key.Name}' ({key.Role.Name()}), prefix {key.Prefix}, id {key.Id}"
                + (key.ExpiresAt is { } at ? $", expires {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC." : ", no expiry."));
            output.WriteLine($"  Key: {created.Secret}");
            output.WriteLine("This key is shown only once. Give it to the tool as FIREBREAK_API_KEY; revoke it with 'firebreak admin revoke-api-key " + key.Prefix + "'.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command RevokeApiKey(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("revoke-api-key",
            "Revoke an API key at once, by its prefix (shown when it was created) or its id.",
            "firebreak admin revoke-api-key fbk_3k9x2m");
        var key = new Argument<string>("prefix-or-id") { Description = "The key's prefix or id." };
        command.Add(key);
        var host = new HostArguments();
        host.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => WithAdminAsync(context, host, parseResult, cancellationToken, async service =>
        {
            var revoked = await service.RevokeApiKeyAsync(parseResult.GetValue(key)!, cancellationToken);
            context.Output.WriteLine($"Revoked API key '{revoked.Name}' (prefix {revoked.Prefix}, id {revoked.Id}).");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The longest secret accepted; AWS secret access keys are 40 characters.</summary>
    private const int MaxSecretLength = 128;

    private static Command ProtectAwsSecret(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("protect-aws-secret",
            "Protect an AWS secret access key with this server's Data Protection keys (<data directory>/keys) and print the protected form, for Firebreak:Aws:Accounts:<id>:ProtectedSecretAccessKey. The secret is read from standard input, never from the command line; run it with the server's data directory and from the same installation as the server.",
            "printf '%s' \"$AWS_SECRET\" | firebreak admin protect-aws-secret --data-dir /var/lib/firebreak");
        var host = new HostArguments();
        host.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var buffer = new char[MaxSecretLength + 2];
            int read;
            using (var reader = new StreamReader(context.OpenInput()))
                read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken);
            var secret = new string(buffer, 0, read).Trim();
            if (secret.Length == 0)
                throw new CliException(ExitCodes.Usage, "Give the secret access key on standard input, for example: printf '%s' \"$AWS_SECRET\" | firebreak admin protect-aws-secret.");
            if (read > MaxSecretLength + 1 || secret.Length > MaxSecretLength || secret.Any(char.IsWhiteSpace) || secret.Any(char.IsControl))
                throw new CliException(ExitCodes.Usage, $"Standard input must hold one secret access key: a single word of at most {MaxSecretLength} characters.");
            await using var app = HostArguments.Build(host.ToArgs(parseResult), quiet: true);
            context.Output.WriteLine(app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(AwsSecretProtection.Purpose).Protect(secret));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Option<string> RoleOption()
    {
        var role = new Option<string>("--role") { Description = "One of: " + string.Join(", ", RoleNames) + ".", Required = true, HelpName = "ROLE" };
        role.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, RoleNames);
        return role;
    }

    private static Option<string?> TenantOption() => new("--tenant")
    {
        Description = "Tenant slug or id; may be left out while there is only one tenant.",
        HelpName = "TENANT",
    };

    private static Role ParseRole(string? text) =>
        Roles.TryParse(text, out var role) ? role : throw new CliException(ExitCodes.Usage, "--role must be one of: " + string.Join(", ", RoleNames) + ".");

    private static async Task<int> WithAdminAsync(CliContext context, HostArguments host, ParseResult parseResult, CancellationToken cancellationToken, Func<AdminService, Task<int>> action)
    {
        await using var app = HostArguments.Build(host.ToArgs(parseResult), quiet: true);
        // Same as serve: a fresh install can be bootstrapped before the server has ever run.
        await context.WithStatusAsync("Opening the database...", () => HostArguments.MigrateAsync(app, cancellationToken));
        await using var scope = app.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<AdminService>());
    }
}
