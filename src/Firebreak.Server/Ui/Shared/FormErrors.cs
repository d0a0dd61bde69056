using Firebreak.Core.Common;

namespace Firebreak.Server.Ui.Shared;

/// <summary>
/// The outcome of one form's last action. Use cases report failure through domain exceptions; an
/// interactive component that let one escape would lose its circuit, so each form runs its action
/// through <see cref="RunAsync"/> and shows what went wrong next to the form instead.
/// </summary>
public sealed class FormErrors
{
    private static readonly IReadOnlyDictionary<string, string[]> NoFields = new Dictionary<string, string[]>();

    public string? Message { get; private set; }
    public IReadOnlyDictionary<string, string[]> Fields { get; private set; } = NoFields;
    public bool Any => Message is not null;

    public string? For(string field) =>
        Fields.TryGetValue(field, out var errors) ? string.Join(" ", errors) : null;

    public void Clear()
    {
        Message = null;
        Fields = NoFields;
    }

    /// <returns>Whether the action completed.</returns>
    public async Task<bool> RunAsync(Func<Task> action)
    {
        Clear();
        try
        {
            await action();
            return true;
        }
        catch (ValidationFailedException e)
        {
            Message = "Some fields need attention.";
            Fields = e.Errors;
        }
        catch (ConcurrencyConflictException e)
        {
            Message = e.Message;
        }
        catch (DomainException e)
        {
            // The closed set of domain failures carries messages written for the person acting.
            Message = e.Message;
        }
        return false;
    }
}
