using Firebreak.Core.Common;
using Microsoft.AspNetCore.Identity;

namespace Firebreak.Core.Identity;

/// <summary>Passwords are hashed with ASP.NET Core Identity's PBKDF2 hasher (HMAC-SHA512, 100,000 iterations).</summary>
internal static class Passwords
{
    public const int MinLength = 12;
    public const int MaxLength = 256;
    private static readonly PasswordHasher<User> Hasher = new();

    public static string Hash(User user, string password) => Hasher.HashPassword(user, password);

    public static bool Verify(User user, string password, out bool needsRehash)
    {
        var result = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        needsRehash = result == PasswordVerificationResult.SuccessRehashNeeded;
        return result != PasswordVerificationResult.Failed;
    }

    public static void Check(string? password)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinLength)
            throw new ValidationFailedException("password", $"password must be at least {MinLength} characters.");
        if (password.Length > MaxLength)
            throw new ValidationFailedException("password", $"password must be at most {MaxLength} characters.");
    }

    public static string Generate() => Secrets.RandomToken(24);
}
