namespace Firebreak.Detection.Sigma;

/// <summary>
/// Recursive-descent parser for the Sigma condition language. Precedence, tightest first:
/// parentheses, <c>x of y</c>, <c>not</c>, <c>and</c>, <c>or</c>.
/// </summary>
public static class ConditionParser
{
    /// <summary>
    /// Nesting allowed in a condition: parentheses and <c>not</c> while parsing, and the depth of the
    /// resulting tree (a chain of n <c>or</c>s is n deep), which everything downstream walks recursively.
    /// </summary>
    public const int MaxDepth = 200;

    public static ConditionNode Parse(string text)
    {
        var tokens = Tokenize(text);
        var position = 0;
        var nesting = 0;
        var (node, _) = ParseOr(tokens, ref position, ref nesting, text);
        if (position != tokens.Count)
        {
            throw new FormatException($"unexpected '{tokens[position]}' in condition '{text}'");
        }

        return node;
    }

    private static int Deeper(int depth, string text) =>
        depth < MaxDepth ? depth + 1 : throw new FormatException($"condition nests deeper than {MaxDepth} levels: '{Shorten(text)}'");

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '(' or ')')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else if (c == '|')
            {
                throw new FormatException("aggregation expressions after '|' are not part of Sigma v2; use a correlation rule");
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')' and not '|')
                {
                    i++;
                }

                tokens.Add(text[start..i]);
            }
        }

        if (tokens.Count == 0)
        {
            throw new FormatException("empty condition");
        }

        return tokens;
    }

    private static bool Is(List<string> tokens, int position, string keyword) =>
        position < tokens.Count && string.Equals(tokens[position], keyword, StringComparison.OrdinalIgnoreCase);

    private static (ConditionNode Node, int Depth) ParseOr(List<string> tokens, ref int position, ref int nesting, string text)
    {
        var (left, depth) = ParseAnd(tokens, ref position, ref nesting, text);
        while (Is(tokens, position, "or"))
        {
            position++;
            var (right, rightDepth) = ParseAnd(tokens, ref position, ref nesting, text);
            left = new OrNode(left, right);
            depth = Deeper(Math.Max(depth, rightDepth), text);
        }

        return (left, depth);
    }

    private static (ConditionNode Node, int Depth) ParseAnd(List<string> tokens, ref int position, ref int nesting, string text)
    {
        var (left, depth) = ParseNot(tokens, ref position, ref nesting, text);
        while (Is(tokens, position, "and"))
        {
            position++;
            var (right, rightDepth) = ParseNot(tokens, ref position, ref nesting, text);
            left = new AndNode(left, right);
            depth = Deeper(Math.Max(depth, rightDepth), text);
        }

        return (left, depth);
    }

    private static (ConditionNode Node, int Depth) ParseNot(List<string> tokens, ref int position, ref int nesting, string text)
    {
        if (Is(tokens, position, "not"))
        {
            position++;
            nesting = Deeper(nesting, text);
            var (operand, depth) = ParseNot(tokens, ref position, ref nesting, text);
            nesting--;
            return (new NotNode(operand), Deeper(depth, text));
        }

        return ParsePrimary(tokens, ref position, ref nesting, text);
    }

    private static (ConditionNode Node, int Depth) ParsePrimary(List<string> tokens, ref int position, ref int nesting, string text)
    {
        if (position >= tokens.Count)
        {
            throw new FormatException($"condition '{text}' ends unexpectedly");
        }

        var token = tokens[position];
        if (token == "(")
        {
            position++;
            nesting = Deeper(nesting, text);
            var inner = ParseOr(tokens, ref position, ref nesting, text);
            nesting--;
            if (!Is(tokens, position, ")"))
            {
                throw new FormatException($"missing ')' in condition '{text}'");
            }

            position++;
            return inner;
        }

        if (token == ")" || IsKeyword(token))
        {
            throw new FormatException($"unexpected '{token}' in condition '{text}'");
        }

        if (Is(tokens, position + 1, "of"))
        {
            var all = token.Equals("all", StringComparison.OrdinalIgnoreCase);
            if (!all && token != "1" && !token.Equals("any", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException($"'{token} of' is not supported; use '1 of' or 'all of'");
            }

            position += 2;
            if (position >= tokens.Count || tokens[position] is "(" or ")" || IsKeyword(tokens[position]))
            {
                throw new FormatException($"'{token} of' needs a search identifier pattern or 'them' in condition '{text}'");
            }

            var target = tokens[position++];
            return (new OfNode(all, target.Equals("them", StringComparison.OrdinalIgnoreCase) ? null : target), 1);
        }

        position++;
        return (new SearchRefNode(token), 1);
    }

    private static bool IsKeyword(string token) =>
        token.Equals("and", StringComparison.OrdinalIgnoreCase)
        || token.Equals("or", StringComparison.OrdinalIgnoreCase)
        || token.Equals("not", StringComparison.OrdinalIgnoreCase)
        || token.Equals("of", StringComparison.OrdinalIgnoreCase);
}
