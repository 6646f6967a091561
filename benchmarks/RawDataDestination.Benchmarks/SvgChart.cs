using System.Globalization;
using System.Text;

namespace RawDataDestination.Benchmarks;

/// <summary>A small line chart written as SVG: one panel per measure, the x axis on a log scale. No dependencies.</summary>
public static class SvgChart
{
    private const int PanelWidth = 420;
    private const int PanelHeight = 260;
    private const int Left = 64;
    private const int Top = 40;
    private const int Bottom = 44;
    private const int Right = 16;

    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

    /// <summary>One line of a panel.</summary>
    /// <param name="Name">The legend.</param>
    /// <param name="Points">The (x, y) points.</param>
    public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

    /// <summary>One panel: a title, the axis labels and its lines.</summary>
    /// <param name="Title">The panel's title.</param>
    /// <param name="XLabel">The x axis label.</param>
    /// <param name="YLabel">The y axis label.</param>
    /// <param name="Lines">The lines.</param>
    public sealed record Panel(string Title, string XLabel, string YLabel, IReadOnlyList<Series> Lines);

    /// <summary>Writes panels side by side into an SVG file.</summary>
    public static void Write(string path, string caption, IReadOnlyList<Panel> panels)
    {
        ArgumentNullException.ThrowIfNull(panels);
        int width = PanelWidth * panels.Count;
        int height = PanelHeight + 24;
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n"));
        svg.Append(Inv($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        svg.Append(Inv($"<text x=\"8\" y=\"{height - 6}\" fill=\"#555\">{Escape(caption)}</text>\n"));
        for (int p = 0; p < panels.Count; p++)
        {
            DrawPanel(svg, panels[p], p * PanelWidth);
        }

        svg.Append("</svg>\n");
        File.WriteAllText(path, svg.ToString());
    }

    private static void DrawPanel(StringBuilder svg, Panel panel, int offsetX)
    {
        var points = panel.Lines.SelectMany(l => l.Points).ToList();
        double minX = Math.Log10(points.Min(p => p.X));
        double maxX = Math.Log10(points.Max(p => p.X));
        double maxY = NiceCeiling(points.Max(p => p.Y));
        int plotW = PanelWidth - Left - Right;
        int plotH = PanelHeight - Top - Bottom;
        double X(double x) => offsetX + Left + (maxX == minX ? plotW / 2.0 : (Math.Log10(x) - minX) / (maxX - minX) * plotW);
        double Y(double y) => Top + plotH - (y / maxY * plotH);

        svg.Append(Inv($"<text x=\"{offsetX + (PanelWidth / 2)}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{Escape(panel.Title)}</text>\n"));
        for (int t = 0; t <= 4; t++)
        {
            double value = maxY * t / 4;
            svg.Append(Inv($"<line x1=\"{offsetX + Left}\" y1=\"{Y(value):F1}\" x2=\"{offsetX + Left + plotW}\" y2=\"{Y(value):F1}\" stroke=\"#ddd\"/>\n"));
            svg.Append(Inv($"<text x=\"{offsetX + Left - 4}\" y=\"{Y(value) + 4:F1}\" text-anchor=\"end\">{value:G4}</text>\n"));
        }

        foreach (double x in points.Select(p => p.X).Distinct().Order())
        {
            svg.Append(Inv($"<text x=\"{X(x):F1}\" y=\"{Top + plotH + 14}\" text-anchor=\"middle\">{x:G6}</text>\n"));
        }

        svg.Append(Inv($"<line x1=\"{offsetX + Left}\" y1=\"{Top + plotH}\" x2=\"{offsetX + Left + plotW}\" y2=\"{Top + plotH}\" stroke=\"#333\"/>\n"));
        svg.Append(Inv($"<line x1=\"{offsetX + Left}\" y1=\"{Top}\" x2=\"{offsetX + Left}\" y2=\"{Top + plotH}\" stroke=\"#333\"/>\n"));
        svg.Append(Inv($"<text x=\"{offsetX + Left + (plotW / 2)}\" y=\"{Top + plotH + 32}\" text-anchor=\"middle\">{Escape(panel.XLabel)}</text>\n"));
        svg.Append(Inv($"<text transform=\"translate({offsetX + 14},{Top + (plotH / 2)}) rotate(-90)\" text-anchor=\"middle\">{Escape(panel.YLabel)}</text>\n"));
        for (int s = 0; s < panel.Lines.Count; s++)
        {
            Series line = panel.Lines[s];
            string color = Colors[s % Colors.Length];
            string path = string.Join(" ", line.Points.OrderBy(p => p.X).Select(p => Inv($"{X(p.X):F1},{Y(p.Y):F1}")));
            svg.Append(Inv($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{path}\"/>\n"));
            foreach ((double x, double y) in line.Points)
            {
                svg.Append(Inv($"<circle cx=\"{X(x):F1}\" cy=\"{Y(y):F1}\" r=\"3\" fill=\"{color}\"/>\n"));
            }

            svg.Append(Inv($"<text x=\"{offsetX + Left + 8}\" y=\"{Top + 12 + (s * 14)}\" fill=\"{color}\">{Escape(line.Name)}</text>\n"));
        }
    }

    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
