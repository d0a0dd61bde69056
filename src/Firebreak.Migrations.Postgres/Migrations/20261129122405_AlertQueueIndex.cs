using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Firebreak.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class AlertQueueIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Alerts_TenantId_TriageState_Severity_LastReceivedAt",
                table: "Alerts");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_Queue",
                table: "Alerts",
                columns: new[] { "TenantId", "TriageState", "SuppressedByRuleId", "LastReceivedAt", "Id", "Severity" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Alerts_Queue",
                table: "Alerts");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_TenantId_TriageState_Severity_LastReceivedAt",
                table: "Alerts",
                columns: new[] { "TenantId", "TriageState", "Severity", "LastReceivedAt" });
        }
    }
}
