using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Firebreak.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AlertPartialIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Alerts_IncidentId",
                table: "Alerts");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_RulesCheckedAt",
                table: "Alerts");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_SuppressedByRuleId",
                table: "Alerts");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_IncidentId",
                table: "Alerts",
                column: "IncidentId",
                filter: "\"IncidentId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_RulesCheckedAt",
                table: "Alerts",
                column: "RulesCheckedAt",
                filter: "\"RulesCheckedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_SuppressedByRuleId",
                table: "Alerts",
                column: "SuppressedByRuleId",
                filter: "\"SuppressedByRuleId\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Alerts_IncidentId",
                table: "Alerts");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_RulesCheckedAt",
                table: "Alerts");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_SuppressedByRuleId",
                table: "Alerts");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_IncidentId",
                table: "Alerts",
                column: "IncidentId");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_RulesCheckedAt",
                table: "Alerts",
                column: "RulesCheckedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_SuppressedByRuleId",
                table: "Alerts",
                column: "SuppressedByRuleId");
        }
    }
}
